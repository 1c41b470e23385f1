// WAIT_ANY / WAIT_ALL through the daemon, blocking waits woken by other threads. Twice: as
// ntsync-run registers (the daemon then checks fds it has resolved before with fd witnesses),
// and with every fd resolved through /proc, each against a daemon of its own.
import { clientSuite } from './helpers/client-suite';
import { statusJson } from './helpers/daemon';

clientSuite('waits', 'waits through the daemon', (daemon) => {
  test('the waits above were answered from fd witnesses after their first resolutions through /proc', async () => {
    const counters = (await statusJson(daemon())).counters;
    expect(counters.fdsVouchedByWitness).toBeGreaterThan(200);
    expect(counters.fdsResolvedThroughProc).toBeGreaterThan(0);
  });
});

clientSuite('waits', 'waits through the daemon, fds resolved through /proc only', (daemon) => {
  test('no fd witness was taken', async () => {
    const counters = (await statusJson(daemon())).counters;
    expect(counters.fdsVouchedByWitness).toBeUndefined();
    expect(counters.fdsResolvedThroughProc).toBeGreaterThan(500);
  });
}, { NTSYNCD_TEST_NO_POLL: '1' });
