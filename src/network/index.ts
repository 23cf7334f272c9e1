export * from './container-networking.ts';
export { loadNetworkDefaults, type NetworkDefaults } from './daemon-config.ts';
export { netnsPath } from './netns.ts';
export * from './network-store.ts';
export * from './ports.ts';
export { detachUnrecorded, unrecordedNetwork } from './unrecorded.ts';
