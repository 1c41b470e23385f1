import { ptraceBlocker } from '../../src/launcher/ptrace-policy';

const withPtraceCap = 'Name:\tnode\nCapEff:\t000001ffffffffff\n';
const withoutCaps = 'Name:\tnode\nCapEff:\t0000000000000000\n';

describe('Yama ptrace policy', () => {
  test('no Yama, classic (0) and restricted-to-descendants (1) scopes allow the launcher', () => {
    expect(ptraceBlocker(null, withoutCaps)).toBeNull();
    expect(ptraceBlocker('0\n', withoutCaps)).toBeNull();
    expect(ptraceBlocker('1\n', withoutCaps)).toBeNull();
  });

  test('admin-only (2) allows it only with CAP_SYS_PTRACE', () => {
    expect(ptraceBlocker('2\n', withPtraceCap)).toBeNull();
    expect(ptraceBlocker('2\n', withoutCaps)).toMatch(/ptrace_scope is 2.*sysctl kernel\.yama\.ptrace_scope=1/);
  });

  test('no-attach (3) blocks everyone, root included', () => {
    expect(ptraceBlocker('3\n', withPtraceCap)).toMatch(/ptrace_scope is 3: nobody may ptrace/);
  });
});
