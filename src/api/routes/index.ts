/** Every route of the Engine API, one list: a resource's routes are one file, one line here. */
import type { Route } from '../router.ts';
import { buildRoutes } from './build.ts';
import { imageRoutes } from './images.ts';
import { systemRoutes } from './system.ts';

export const ROUTES: Route[] = [
  ...systemRoutes,
  ...imageRoutes,
  ...buildRoutes,
];
