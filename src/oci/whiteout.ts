/** OCI layer whiteouts: how a layer tar says "this path is deleted". */

/** A file named `.wh.NAME` deletes NAME from the layers below. */
export const WHITEOUT_PREFIX = '.wh.';
/** A file named `.wh..wh..opq` in a directory hides everything below it in lower layers. */
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
/** Names starting `.wh..wh.` are reserved (aufs metadata) and never extracted. */
export const RESERVED_WHITEOUT_PREFIX = '.wh..wh.';
