import { parseOptions } from '../../src/launcher/options';

describe('ntsync-run options', () => {
  test('defaults, and the command starts at the first word that is not an option', () => {
    expect(parseOptions(['wine', 'game.exe', '--fullscreen', '--mount', 'x'])).toEqual({
      mount: '/run/ntsync',
      device: '/dev/ntsync',
      command: ['wine', 'game.exe', '--fullscreen', '--mount', 'x'],
      help: false,
    });
  });

  test('--mount and --device, separate or with =, and -- before a command starting with -', () => {
    expect(parseOptions(['--mount', '/m', '--device=/d', '--', '-weird', 'arg'])).toMatchObject({
      mount: '/m',
      device: '/d',
      command: ['-weird', 'arg'],
    });
    expect(parseOptions(['--mount=/m', '--', '--', 'x']).command).toEqual(['--', 'x']);
  });

  test('usage errors say what is wrong', () => {
    expect(() => parseOptions([])).toThrow('no command given');
    expect(() => parseOptions(['--mount'])).toThrow('--mount needs a value');
    expect(() => parseOptions(['--mount='])).toThrow('--mount needs a value');
    expect(() => parseOptions(['--verbose', 'x'])).toThrow(/unknown option --verbose \(put -- before a command/);
    expect(() => parseOptions(['--mount', '/m', '--'])).toThrow('no command given');
  });

  test('--help wins wherever it stands among the options', () => {
    expect(parseOptions(['--mount', '/m', '-h']).help).toBe(true);
    expect(parseOptions(['--help']).help).toBe(true);
    expect(parseOptions(['cmd', '--help']).help).toBe(false); // the command's own option
  });
});
