/**
 * A simulated Atlas host (`ascend-adapt sim create`) is a folder whose env.sh puts the simulated toolchain
 * on PATH and marks everything simulated. Commands run "on" it through this wrapper, so they stay plain argv
 * (no shell string is built) and the same command runs unchanged on a real host when no sim root is given.
 */

/** Source `<simRoot>/env.sh`, then exec argv unchanged. */
export const SIM_WRAPPER = 'r=$1; shift; . "$r/env.sh" && exec "$@"';
const SIM_ARGV0 = 'ascend-adapt-sim';

/** argv run through a simulated host's env.sh when simRoot is set; argv itself otherwise. */
export function withSimEnv(simRoot: string | undefined, argv: readonly string[]): string[] {
  return simRoot ? ['sh', '-c', SIM_WRAPPER, SIM_ARGV0, simRoot, ...argv] : [...argv];
}

/** The inverse, for a recorded job: its sim root (or null) and the argv inside the wrapper. */
export function unwrapSimEnv(argv: readonly string[]): { simRoot: string | null; argv: string[] } {
  const wrapped = argv.length >= 5 && argv[0] === 'sh' && argv[1] === '-c' && argv[2] === SIM_WRAPPER;
  return wrapped ? { simRoot: argv[4]!, argv: argv.slice(5) } : { simRoot: null, argv: [...argv] };
}
