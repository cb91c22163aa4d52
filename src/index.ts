// The library behind the nodes, usable without Node-RED: the Lynx REST client,
// the shared MQTT connection with its catalog, the edge app roll-out, and the
// Lynx sandbox (its broker is loaded only when a sandbox starts).
export * from './api';
export * from './mqtt';
export * from './catalog';
export { deployEdgeApp } from './edge/deploy';
export { parseManifest, EdgeValidationError } from './edge/validate';
export type {
  EdgeDeployClient,
  EdgeDeployOptions,
  EdgeDeployResult,
  EdgeTarget,
  InstallationResult,
  InstallationStatus,
} from './edge/deploy';
export { startSandbox, loadSeed, DEFAULT_SEED_PATH } from './sandbox';
export type { Sandbox, SandboxOptions, Seed, FaultConfig } from './sandbox';
