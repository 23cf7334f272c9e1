/** Every route of the Engine API, one list: a resource's routes are one file, one line here. */
import type { Route } from '../router.ts';
import { buildRoutes } from './build.ts';
import { containerFileRoutes } from './container-files.ts';
import { containerIoRoutes } from './container-io.ts';
import { containerRoutes } from './containers.ts';
import { execRoutes } from './exec.ts';
import { imageRoutes } from './images.ts';
import { eventRoutes } from './events.ts';
import { networkRoutes } from './networks.ts';
import { systemRoutes, systemUsageRoutes } from './system.ts';
import { volumeRoutes } from './volumes.ts';

export const ROUTES: Route[] = [
  ...systemRoutes,
  ...imageRoutes,
  ...buildRoutes,
  ...volumeRoutes,
  ...networkRoutes,
  ...systemUsageRoutes,
  ...eventRoutes,
  ...containerRoutes,
  ...containerIoRoutes,
  ...containerFileRoutes,
  ...execRoutes,
];
