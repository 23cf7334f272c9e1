/** The kernel's overlayfs limit on lower layers (OVL_MAX_STACK); the upper directory is not one of them. */
export const OVERLAY_MAX_LOWER = 500;
