export { createSim, hostArch, resolvePython, SimCreateError, type SimCreateOptions, type SimCreated } from './create';
export { readSimConfig, updateSimConfig, SimConfigSchema, type SimConfig } from './config';
export { applyEnvSteps, readSimEnv, simExecEnv, stepToShell, type EnvStep, type SimEnvFile } from './env';
