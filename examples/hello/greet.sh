#!/bin/sh
echo "$GREETING from a strata container: $(cat /app/built), $(ls / | wc -l) entries in /"
