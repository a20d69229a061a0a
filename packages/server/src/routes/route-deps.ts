import type { AuthlinkServices } from '@authlink/core';

/** What every route plugin receives. */
export interface RouteDeps {
  services: AuthlinkServices;
}
