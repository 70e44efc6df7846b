// Long-running commands (sandbox, dev) run until Ctrl-C or SIGTERM, then clean up and exit 0.
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
