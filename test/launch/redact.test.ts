/** Launch text shown in errors never holds a password: URL passwords and secret property values are `***`. */
import { describe, expect, it } from 'vitest';
import { cliRegistry } from '../../node/cli/registry';
import { launch } from '../../node/cli/launch';
import { bufferIo, UsageError } from '../../node/cli/io';
import { builtinRegistry, fakeSink, parseLaunch } from '../../operators';
import { defineElement, ElementRegistry, LaunchError, parseLaunchAst, prop } from '../../src';
import { redactLaunch } from '../../src/launch/redact';

const registry = cliRegistry();

function launchError(f: () => unknown): LaunchError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LaunchError);
    return e as LaunchError;
  }
  throw new Error('expected a LaunchError');
}

/** Every place the error keeps text: a logger printing the error's fields shows them all. */
const everything = (e: LaunchError) => [e.message, e.reason, e.input, String(e.stack)].join('\n');

describe('redactLaunch', () => {
  const cases: [string, string][] = [
    ['rtspSrc location=rtsp://user:secret@cam/s ! fakeSink', 'rtspSrc location=rtsp://user:***@cam/s ! fakeSink'],
    // Credentials run to the last '@' of the authority, as parseRtspUrl reads them; the user to the first ':'.
    ['location=rtsp://user:p@ss:w@cam:554/s', 'location=rtsp://user:***@cam:554/s'],
    ['location="rtsp://user:pass word@cam/s" ! x', 'location="rtsp://user:***@cam/s" ! x'],
    ['location=rtsp://user:pass\\ word@cam/s', 'location=rtsp://user:***@cam/s'],
    ['a uri=http://u:one@h/x b uri=https://v:two@h2?q', 'a uri=http://u:***@h/x b uri=https://v:***@h2?q'],
    ['location=rtsp://user:secret@cam ! fakeSink', 'location=rtsp://user:***@cam ! fakeSink'],
    // Nothing to hide: no credentials, or a user name alone (kept, as printing keeps it).
    ['location=rtsp://cam/s user-id=admin', 'location=rtsp://cam/s user-id=admin'],
    ['location=rtsp://admin@cam/s', 'location=rtsp://admin@cam/s'],
    ['location=rtsp://admin:@cam/s', 'location=rtsp://admin:@cam/s'],
    // Values of properties named like passwords, bare or quoted.
    ['rtspSrc user-id=admin user-pw=hunter2 ! fakeSink', 'rtspSrc user-id=admin user-pw=*** ! fakeSink'],
    ['x password = "a b!c" token=\'t t\' api_secret={a b} y', 'x password = *** token=*** api_secret=*** y'],
    ['x location=rtsp://cam/s?user=a&password=b c', 'x location=rtsp://cam/s?user=a&password=*** c'],
    ['x bypass=on compass=1', 'x bypass=on compass=1'],
  ];
  for (const [text, shown] of cases) it(`${text} → ${shown}`, () => expect(redactLaunch(text).text).toBe(shown));

  it('maps positions into the shown text: before a hidden part unchanged, inside it its start, after it shifted', () => {
    const text = 'a u=rtsp://me:longpassword@h/x ! b';
    const r = redactLaunch(text);
    expect(r.text).toBe('a u=rtsp://me:***@h/x ! b');
    expect(r.at(2)).toBe(2);
    expect(r.at(text.indexOf('longpassword'))).toBe(r.text.indexOf('***'));
    expect(r.at(text.indexOf('word@'))).toBe(r.text.indexOf('***'));
    expect(r.text.slice(r.at(text.indexOf('@h')))).toBe('@h/x ! b');
    expect(r.at(text.length)).toBe(r.text.length);
  });

  it('hides given spans (values of properties declared secret) too', () => {
    expect(redactLaunch('x api-key=abc y', [[10, 13]]).text).toBe('x api-key=*** y');
  });

  it('is linear in the text', () => {
    // Each shape makes a quadratic scan (rescanning from every '://', '@' or '=') take minutes at this size.
    const n = 300_000;
    expect(redactLaunch('://'.repeat(n / 3)).text).toHaveLength(n);
    expect(redactLaunch(`a://${'b'.repeat(n)}@`).text).toBe(`a://${'b'.repeat(n)}@`);
    expect(redactLaunch(`a://b:${'@'.repeat(n)}`).text).toBe('a://b:***@');
    expect(redactLaunch('='.repeat(n)).text).toHaveLength(n);
    expect(redactLaunch(`${'a'.repeat(n)}=x`).text).toHaveLength(n + 2);
    expect(redactLaunch(`pw=${'{'.repeat(n)}`).text).toBe('pw=***');
  });
});

describe('launch errors never echo a password', () => {
  it('from the parser: a syntax error after a URL with a password', () => {
    const text = 'rtspSrc location=rtsp://user:hunter2@cam/s ! ! fakeSink';
    const e = launchError(() => parseLaunchAst(text));
    expect(everything(e)).not.toContain('hunter2');
    expect(e.input).toBe('rtspSrc location=rtsp://user:***@cam/s ! ! fakeSink');
    expect(e.input.slice(e.position)).toBe('! fakeSink');
    const [first, line, caret] = e.message.split('\n');
    expect(first).toBe(`expected an element, caps or reference after '!', got another '!' (at position ${e.position})`);
    expect(line).toBe(`  ${e.input}`);
    expect(line[caret.length - 1]).toBe('!');
  });

  it('from the parser: an unterminated secret value', () => {
    const e = launchError(() => parseLaunchAst('rtspSrc user-pw="hunter2 ! fakeSink'));
    expect(everything(e)).not.toContain('hunter2');
    expect(e.position).toBe(e.input.indexOf('***'));
  });

  it('from the builder: an unknown property, a bad value, an unknown element, a missing link', () => {
    const url = 'location=rtsp://user:hunter2@cam/s';
    for (const text of [
      `rtspSrc ${url} no-such=1 ! fakeSink`,
      `rtspSrc ${url} retry=maybe ! fakeSink`,
      `rtspSrc ${url} ! nosuch ! fakeSink`,
      `rtspSrc ${url} user-id=u user-pw=hunter2 ! queue`,
      `rtspSrc ${url} ! fakeSink fakeSrc ! fakeSink`,
    ]) {
      const e = launchError(() => parseLaunch(text, registry));
      expect(everything(e), text).not.toContain('hunter2');
      expect(e.input, text).toContain('rtsp://user:***@cam/s');
    }
  });

  it('hides values of properties the registry declares secret, whatever their name', () => {
    const vault = defineElement({
      name: 'vaultSink',
      kind: 'sink',
      description: '',
      caps: {},
      properties: { apiKey: prop.string({ secret: true, doc: 'never shown' }) },
      build: () => fakeSink(),
    });
    const reg = new ElementRegistry([...builtinRegistry.list(), vault]);
    const e = launchError(() => parseLaunch('fakeSrc ! vaultSink api-key=abc123 no-such=1', reg));
    expect(everything(e)).not.toContain('abc123');
    expect(e.input).toBe('fakeSrc ! vaultSink api-key=*** no-such=1');
    expect(e.input.slice(e.position)).toBe('no-such=1');
  });

  it('keeps a reason that names a secret property readable', () => {
    const locked = defineElement({
      name: 'lockedSink',
      kind: 'sink',
      description: '',
      caps: {},
      properties: {
        userPw: prop.string({ secret: true, required: true, doc: '' }),
      },
      build: () => fakeSink(),
    });
    const reg = new ElementRegistry([...builtinRegistry.list(), locked]);
    const e = launchError(() => parseLaunch('fakeSrc ! lockedSink', reg));
    expect(e.reason).toContain('lockedSink needs user-pw= (a string)');
  });

  it('keeps the cause of an element that could not be made', () => {
    const boom = new Error('no device');
    const failing = defineElement({
      name: 'failingSrc',
      kind: 'source',
      description: '',
      caps: {},
      properties: { uri: prop.string({ doc: '' }) },
      build: () => {
        throw boom;
      },
    });
    const reg = new ElementRegistry([...builtinRegistry.list(), failing]);
    const e = launchError(() => parseLaunch('failingSrc uri=http://me:pw1234@h/x ! fakeSink', reg));
    expect(e.cause).toBe(boom);
    expect(everything(e)).not.toContain('pw1234');
  });

  it('from g2g launch: the error it prints, and a refused option', async () => {
    const io = bufferIo();
    expect(await launch(['rtspSrc location=rtsp://user:hunter2@cam/s user-pw=hunter3 ! ! fakeSink'], io)).toBe(1);
    const printed = io.stderr.join('\n');
    expect(printed).toContain('ERROR: could not parse the pipeline');
    expect(printed).toContain('rtsp://user:***@cam/s user-pw=***');
    expect(printed).not.toMatch(/hunter[23]/);
    const refused = launch(['--location=rtsp://user:hunter2@cam/s', 'fakeSrc ! fakeSink'], bufferIo());
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow("unknown option '--location=rtsp://user:***@cam/s'");
  });
});
