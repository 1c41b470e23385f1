// Access control (supervisors, object files, the control ioctls) and bad caller memory.
import { clientSuite } from './helpers/client-suite';

clientSuite('access', 'access control and caller memory', (daemon) => {
  test('a refused open is logged with its reason and fix', () => {
    expect(daemon().logs).toMatch(
      /^ntsyncd: warn: refused to open the device for pid \d+ \(access\): no ntsync-run supervisor among its ancestors \(start the program with `ntsync-run <command>`\)$/m,
    );
  });

  test('a direct CREATE ioctl is logged', () => {
    expect(daemon().logs).toMatch(/^ntsyncd: warn: pid \d+ \(access\) issued an ntsync CREATE ioctl directly; it must run under ntsync-run$/m);
  });
});
