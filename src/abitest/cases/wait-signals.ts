// Section 6.5, signals: a blocked wait returns EINTR to a handler without SA_RESTART, restarts
// transparently with SA_RESTART or across a stop/continue, keeps its absolute deadline over a
// restart, and never loses an acquisition that raced with a signal or its deadline.
import { spawn } from 'node:child_process';
import { EINTR, EINVAL, ETIMEDOUT } from '../../core/errno';
import { NTSYNC_IOC_WAIT_ANY } from '../../ioctl/numbers';
import { sleep } from '../client/blocked-wait';
import { section, type AbiCase } from '../framework/abi-case';
import type { WaitKind } from '../framework/context';
import { describeResult } from '../framework/errno-names';
import { expectEqual, expectErrno, expectReturn, expectTrue } from '../framework/expect';
import { fail } from '../framework/failure';
import { monotonicNs, msToNs } from '../sys/clock';
import { expectWait, kindName } from './helpers';

const s = section('6.5');
const KINDS: WaitKind[] = ['any', 'all'];

export const waitSignalCases: AbiCase[] = [
  s('signal-without-SA_RESTART-is-EINTR', 'A signal handled without SA_RESTART ends a blocked wait with EINTR; nothing acquired, index untouched.', async (t) => {
    const dev = t.openDevice();
    for (const kind of KINDS) {
      const sem = t.sem(dev, 0, 1);
      const w = await t.startWait(kind, dev, { objs: [sem] }, `${kindName(kind)} on an empty semaphore`);
      w.signal('interrupting');
      expectErrno(await w.result(), EINTR, `${kindName(kind)} after a signal without SA_RESTART`);
      expectEqual(w.block.index, 0xdeadbeef, `${kindName(kind)} index after EINTR (must be left untouched)`);
      expectReturn(t.nt.semRelease(sem, 1).ret, 0, 'SEM_RELEASE after the wait ended');
      t.expectSem(sem, 1, 1, 'after the release (the interrupted wait must not take it)');
    }
  }, { corners: [25, 11] }),

  s('signal-with-SA_RESTART-restarts-transparently', 'A signal handled with SA_RESTART restarts the wait transparently: it goes on sleeping and later succeeds.', async (t) => {
    const dev = t.openDevice();
    for (const kind of KINDS) {
      const ev = t.event(dev, false, false);
      const w = await t.startWait(kind, dev, { objs: [ev] }, `${kindName(kind)} on an unsignaled event`);
      for (let i = 0; i < 3; i++) {
        w.signal('restarting');
        await w.expectStillBlocked(60, 'a signal with SA_RESTART must restart it');
      }
      expectReturn(t.nt.eventSet(ev).ret, 0, 'EVENT_SET');
      expectReturn(await w.result(), 0, `${kindName(kind)} after three restarts, woken by EVENT_SET`);
      expectEqual(w.block.index, 0, `${kindName(kind)} index`);
      t.expectEvent(ev, false, false, 'after the wait consumed it');
    }
  }, { corners: [25] }),

  s('a-restart-keeps-the-absolute-deadline', 'A restarted wait keeps its original absolute deadline.', async (t) => {
    const dev = t.openDevice();
    const idle = t.event(dev, false, false);
    const deadline = t.deadline(1500);
    const w = await t.startWait('any', dev, { objs: [idle], timeout: deadline }, 'WAIT_ANY with a deadline 1.5 s ahead');
    const signalAt = deadline - msToNs(200);
    while (monotonicNs() < signalAt) await sleep(10);
    w.signal('restarting');
    const r = await w.result(4000);
    const now = monotonicNs();
    if (r !== -ETIMEDOUT) fail(`WAIT_ANY restarted 200 ms before its deadline: expected ETIMEDOUT (110), got ${describeResult(r)}`);
    const late = Number(now - deadline) / 1e6;
    expectTrue(late >= 0, `the restarted wait timed out ${(-late).toFixed(1)} ms before its deadline`);
    // A restart that re-armed the timeout relative to the restart would end ~1300 ms late.
    expectTrue(late < 900, `the restarted wait timed out ${late.toFixed(0)} ms after its deadline (the deadline was not kept)`);
  }, { corners: [25] }),

  s('a-restarted-wait-resolves-its-fds-again', 'A restarted wait is a new ioctl: if one of its fds was closed meanwhile, the restart fails with EINVAL (observed on 7.2).', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 1);
    const w = await t.startWait('any', dev, { objs: [sem] }, 'WAIT_ANY on an empty semaphore');
    expectReturn(t.close(sem), 0, 'close(semaphore) during the wait');
    await w.expectStillBlocked(100, 'closing the object must not wake it');
    w.signal('restarting');
    expectErrno(await w.result(), EINVAL, 'WAIT_ANY restarted after its object fd was closed');
  }, { corners: [25, 19] }),

  s('stop-and-continue-are-transparent', 'SIGSTOP then SIGCONT (no handler) restart a blocked wait transparently.', async (t) => {
    const dev = t.openDevice();
    const ev = t.event(dev, false, false);
    const w = await t.startWait('any', dev, { objs: [ev], timeout: t.deadline(5000) }, 'WAIT_ANY on an unsignaled event');
    const helper = spawn('/bin/sh', ['-c', `kill -STOP ${process.pid}; sleep 0.2; kill -CONT ${process.pid}`], { stdio: 'ignore' });
    const status = await new Promise<number | null>((resolve) => {
      helper.on('exit', (code) => resolve(code));
      helper.on('error', () => resolve(null));
    });
    expectEqual(String(status), '0', 'exit status of the helper that stopped and continued this process');
    await w.expectStillBlocked(150, 'a stop/continue must restart it');
    expectReturn(t.nt.eventSet(ev).ret, 0, 'EVENT_SET');
    expectReturn(await w.result(), 0, 'WAIT_ANY after stop/continue, woken by EVENT_SET');
  }, { corners: [25] }),

  s('success-racing-a-signal-is-never-lost', 'When a release and a signal race, the wait either succeeds (unit taken) or fails with EINTR (unit left): never both, never neither.', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 1);
    for (let i = 0; i < 10; i++) {
      const w = await t.startWait('any', dev, { objs: [sem] }, `WAIT_ANY #${i + 1}`);
      if (i % 2) {
        w.signal('interrupting');
        expectReturn(t.nt.semRelease(sem, 1).ret, 0, 'SEM_RELEASE');
      } else {
        expectReturn(t.nt.semRelease(sem, 1).ret, 0, 'SEM_RELEASE');
        w.signal('interrupting');
      }
      const r = await w.result();
      const count = t.nt.semRead(sem).count;
      if (r === 0) {
        expectEqual(count, 0, `count after trial ${i + 1} reported success`);
        expectEqual(w.block.index, 0, `index after trial ${i + 1} reported success`);
      } else if (r === -EINTR) {
        expectEqual(count, 1, `count after trial ${i + 1} reported EINTR (the unit must still be there)`);
        expectWait(t, 'any', dev, { objs: [sem] }, 0, 0, 'draining the unit');
      } else {
        fail(`trial ${i + 1}: expected success or EINTR, got ${describeResult(r)}`);
      }
    }
  }, { corners: [24] }),

  s('success-racing-the-deadline-is-never-lost', 'When a release and the deadline race, the wait either succeeds (unit taken) or times out (unit left).', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 1);
    for (let i = 0; i < 10; i++) {
      const block = t.waitBlock({ objs: [sem], timeout: t.deadline(40) });
      const done = t.sys.ioctlAsync(dev, NTSYNC_IOC_WAIT_ANY, block.addr);
      await sleep(30 + i * 2); // around the deadline, a little later each time
      expectReturn(t.nt.semRelease(sem, 1).ret, 0, 'SEM_RELEASE');
      const r = await Promise.race([done, sleep(3000).then(() => NaN)]);
      const count = t.nt.semRead(sem).count;
      if (r === 0) {
        expectEqual(count, 0, `count after trial ${i + 1} reported success`);
      } else if (r === -ETIMEDOUT) {
        expectEqual(count, 1, `count after trial ${i + 1} reported ETIMEDOUT (the unit must still be there)`);
        expectWait(t, 'any', dev, { objs: [sem] }, 0, 0, 'draining the unit');
      } else if (Number.isNaN(r)) {
        fail(`trial ${i + 1}: the wait with a 40 ms deadline was still blocked after 3 s`);
      } else {
        fail(`trial ${i + 1}: expected success or ETIMEDOUT, got ${describeResult(r)}`);
      }
    }
  }, { corners: [24] }),
];
