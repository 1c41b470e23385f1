// One jest test per test of a C client, all against one daemon per file.
import { compileClient, listTests, startDaemon, type RunningDaemon } from './daemon';

/**
 * `more` may add tests of its own (they run after the client's, with the daemon still up).
 * `env` is added to the client's environment.
 */
export function clientSuite(client: string, title: string, more?: (daemon: () => RunningDaemon) => void, env: NodeJS.ProcessEnv = {}): void {
  const binary = compileClient(client);
  const names = listTests(binary);
  let daemon: RunningDaemon;

  describe(title, () => {
    beforeAll(async () => {
      daemon = await startDaemon();
    });

    afterAll(async () => {
      if (!daemon) return;
      const exit = await daemon.stop();
      daemon.cleanup();
      expect(exit).toEqual({ code: 0, signal: null });
    });

    test.each(names)('%s', async (name) => {
      const r = await daemon.run(binary, [name], undefined, env);
      if (r.code !== 0) {
        throw new Error(`${client} ${name}: exit ${r.code ?? r.signal}\n${r.stderr}${r.stdout}\n--- daemon log ---\n${daemon.logs}`);
      }
      expect(daemon.alive).toBe(true);
    });

    more?.(() => daemon);
  });
}
