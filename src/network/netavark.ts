/**
 * Running netavark (podman's network setup tool: `netavark setup|teardown NETNS`, the
 * network JSON on stdin) and the shell steps around it. Every call on the host's firewall
 * holds one host-wide lock (flock on /run/strata/netavark.lock), so two commands or a
 * command and an exiting container's supervisor never interleave their rules. netavark
 * never gets the lock's descriptor: the aardvark-dns it starts outlives it and would keep
 * the lock forever.
 *
 * The teardown is a shell script so that a detached container's supervisor can run it at
 * the exit without starting Node; the CLI runs the same script, so there is one teardown.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { failedPrecondition } from '../errdefs/index.ts';
import { childProcess } from '../internal/index.ts';

export interface NetavarkTools {
  netavark: string;
  aardvark: string;
  /** netavark's --config directory (aardvark-dns keeps its files there). */
  configDir: string;
  lock: string;
}

const NETAVARK_CANDIDATES = ['/usr/lib/podman/netavark', '/usr/libexec/podman/netavark'];
const AARDVARK_CANDIDATES = ['/usr/lib/podman/aardvark-dns', '/usr/libexec/podman/aardvark-dns'];
const RUN_DIR = '/run/strata';

/** netavark and aardvark-dns (`STRATA_NETAVARK` names another netavark). */
export function findTools(configDir: string): NetavarkTools {
  const netavark = process.env['STRATA_NETAVARK'] ?? NETAVARK_CANDIDATES.find((p) => existsSync(p));
  if (netavark === undefined) throw failedPrecondition('netavark is not installed: container networks need it', { hint: 'apt-get install netavark aardvark-dns (or use --network none or host)' });
  const aardvark = AARDVARK_CANDIDATES.find((p) => existsSync(p)) ?? AARDVARK_CANDIDATES[0]!;
  mkdirSync(RUN_DIR, { recursive: true });
  mkdirSync(configDir, { recursive: true });
  return { netavark, aardvark, configDir, lock: `${RUN_DIR}/netavark.lock` };
}

/**
 * The tables and chains netavark's iptables calls create, noted before the first setup (when
 * no note is there yet) as lines `table ip nat` and `chain ip filter FORWARD`, so the last
 * teardown removes only those that weren't there before.
 */
const NOTE_TABLES = `[ -f ${RUN_DIR}/tables-before ] || { nft list tables; nft list chains | awk '$1 == "table" { t = $2 " " $3 } $1 == "chain" { print "chain " t " " $2 }'; } > ${RUN_DIR}/tables-before 2>/dev/null || true`;

/** netavark reports an error as `{"error": "…"}`. */
function netavarkMessage(output: string): string {
  const text = output.trim();
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch { /* plain text */ }
  return text.replace(/^Error: /, '');
}

/** `netavark setup NETNS` under the lock; its JSON answer. */
export function netavarkSetup(tools: NetavarkTools, netns: string, input: string): string {
  const script = `${NOTE_TABLES}; exec "$@"`;
  const r = childProcess().spawnSync('flock', ['-o', tools.lock, 'sh', '-c', script, 'sh', tools.netavark, '--config', tools.configDir, '--aardvark-binary', tools.aardvark, 'setup', netns], {
    input, encoding: 'utf8',
  });
  if (r.error !== undefined) throw failedPrecondition(`netavark setup: ${r.error.message}`);
  if (r.status !== 0) throw failedPrecondition(`network setup failed: ${netavarkMessage(r.stderr || r.stdout)}`);
  return r.stdout;
}

/** `netavark teardown NETNS` of one network (`network disconnect`), under the lock; failures ignored. */
export function teardownOne(tools: NetavarkTools, netns: string, input: string): void {
  childProcess().spawnSync('flock', ['-o', tools.lock, tools.netavark, '--config', tools.configDir, '--aardvark-binary', tools.aardvark, 'teardown', netns], { input, stdio: ['pipe', 'ignore', 'ignore'] });
}

/**
 * Tears down what `netavark.json` in the container's directory describes (if present), then
 * unmounts and removes the namespace file; marks it done by renaming the file to
 * `netavark.released`. Arguments: netavark, config dir, aardvark, container dir, lock, netns.
 */
export const TEARDOWN_SCRIPT = `exec 9>>"$5"; flock 9
if [ -f "$4/netavark.json" ]; then
  "$1" --config "$2" --aardvark-binary "$3" teardown "$6" < "$4/netavark.json" >/dev/null 9>&- || echo "strata: network teardown of $4 failed" >&2
  mv -f "$4/netavark.json" "$4/netavark.released"
fi
if [ -e "$6" ]; then umount "$6" 2>/dev/null; rm -f "$6"; fi
true`;

/** The argv that runs the teardown (the exit hook prepends nothing and appends its own steps). */
export function teardownArgs(tools: NetavarkTools, containerDir: string, netns: string, then = ''): string[] {
  return ['/bin/sh', '-c', TEARDOWN_SCRIPT + then, 'strata-network-down', tools.netavark, tools.configDir, tools.aardvark, containerDir, tools.lock, netns];
}

export function runTeardown(tools: NetavarkTools, containerDir: string, netns: string): void {
  const [file, ...args] = teardownArgs(tools, containerDir, netns);
  // After a failed setup the teardown fails too; what failed was reported already.
  childProcess().spawnSync(file!, args, { stdio: 'ignore' });
}

/**
 * When no container anywhere has a netavark rule left, removes netavark's empty base chains
 * and the tables its first setup created, so the host's ruleset is as it was. A table that
 * was not there before and holds nothing but netavark's base chains goes whole, in one nft
 * transaction (the common case: one exec instead of a restore, four saves and four deletes);
 * from a table that was there before, or that someone else has put rules in since, only
 * netavark's base chains are removed.
 */
const CLEANUP_SCRIPT = `exec 9>>"$1"; flock 9
rules=$(iptables-save 2>/dev/null) || exit 0
printf '%s\\n' "$rules" | grep -q NETAVARK || exit 0
# Any rule but the base ones netavark keeps for everyone means a network is still in use.
printf '%s\\n' "$rules" | grep '^-A' | grep -v -e '-j NETAVARK-HOSTPORT-DNAT$' -e '-j NETAVARK-HOSTPORT-MASQ$' \\
  -e '^-A NETAVARK-HOSTPORT-MASQ ' -e '^-A NETAVARK-HOSTPORT-SETMARK ' -e '-j NETAVARK_FORWARD$' | grep -q NETAVARK && exit 0
printf '%s\\n' "$rules" | grep -q '^:NETAVARK-[0-9A-F]' && exit 0
before=${RUN_DIR}/tables-before
drop=''
noted=''
if [ -f "$before" ]; then
  noted=$(cat "$before")
  rules6=$(ip6tables-save 2>/dev/null)
  for t in "ip nat" "ip filter" "ip6 nat" "ip6 filter"; do
    grep -qx "table $t" "$before" && continue
    save=$rules; [ "\${t%% *}" = ip6 ] && save=$rules6
    section=$(printf '%s\\n' "$save" | sed -n "/^\\*\${t#* }$/,/^COMMIT$/p")
    [ -n "$section" ] || continue
    # A rule that is not netavark's makes the table someone else's now.
    printf '%s\\n' "$section" | grep '^-A' | grep -qv NETAVARK && continue
    drop="\${drop}delete table $t
"
  done
  rm -f "$before"
fi
restore=''
case "$drop" in *"table ip filter"*) ;; *) restore="*filter
-D FORWARD -m comment --comment \\"netavark firewall plugin rules\\" -j NETAVARK_FORWARD
-X NETAVARK_FORWARD
COMMIT
";; esac
case "$drop" in *"table ip nat"*) ;; *) restore="$restore*nat
-D PREROUTING -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT
-D OUTPUT -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT
-D POSTROUTING -j NETAVARK-HOSTPORT-MASQ
-F NETAVARK-HOSTPORT-DNAT
-F NETAVARK-HOSTPORT-MASQ
-F NETAVARK-HOSTPORT-SETMARK
-X NETAVARK-HOSTPORT-DNAT
-X NETAVARK-HOSTPORT-MASQ
-X NETAVARK-HOSTPORT-SETMARK
COMMIT
";; esac
[ -z "$restore" ] || printf '%s' "$restore" | iptables-restore --noflush 2>/dev/null
# iptables makes a built-in chain where it first adds a rule: in a table that stays, such a
# chain that was not there before and is empty again goes too.
[ -n "$noted" ] && for c in "filter FORWARD" "nat PREROUTING" "nat OUTPUT" "nat POSTROUTING"; do
  case "$drop" in *"table ip \${c% *}"*) continue;; esac
  printf '%s\\n' "$noted" | grep -qx "chain ip $c" && continue
  chain=$(iptables -t "\${c% *}" -S "\${c#* }" 2>/dev/null) || continue
  [ "$chain" = "-P \${c#* } ACCEPT" ] || continue
  drop="\${drop}delete chain ip $c
"
done
# One transaction; should one step fail (a chain someone jumps to meanwhile), each on its own.
[ -z "$drop" ] || printf '%s' "$drop" | nft -f - 2>/dev/null || printf '%s' "$drop" | while read -r step; do nft "$step" 2>/dev/null; done
true`;

export function cleanUpFirewall(tools: NetavarkTools): void {
  childProcess().spawnSync('/bin/sh', ['-c', CLEANUP_SCRIPT, 'strata-firewall-cleanup', tools.lock], { stdio: 'ignore' });
}
