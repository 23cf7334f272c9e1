/**
 * The JSON the web app reads from `strata ui`'s server: its contract is declared in the web
 * app's package (packages/ui-web/src/api-types.ts) and used here by the package's name.
 */
export type * from '@strata/ui-web';
