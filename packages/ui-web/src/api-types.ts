/**
 * The JSON `strata ui`'s server sends, as the server declares it: one definition, so the
 * browser side cannot drift from it. Types only: nothing of src/ reaches the bundle.
 */
export type * from '../../../src/ui/api-types.ts';
