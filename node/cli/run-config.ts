/**
 * The pipeline file of `g2g run`: N pipelines (cameras) in one process, kept in version control.
 *
 *   {
 *     "profile": "live",                        // default for every pipeline: live | throughput
 *     "pipelines": [
 *       { "name": "door", "launch": "rtspSrc location=rtsp://10.0.0.5/cam ! h264Parse ! h264Dec ! fakeSink",
 *         "restart": true },                    // start it again after a failure (a camera that went away)
 *       { "name": "yard", "launch": "…", "profile": "throughput" }
 *     ],
 *     "restartDelay": "2s"                      // wait before a restart (default 1s)
 *   }
 *
 * JSON (comments not allowed); every mistake is reported with its path (`pipelines[1].launch`).
 */
import { parseDuration } from '../../src/descriptor/duration';

export interface PipelineEntry {
  readonly name: string;
  readonly launch: string;
  readonly profile: 'live' | 'throughput';
  readonly restart: boolean;
}

export interface RunConfig {
  readonly pipelines: readonly PipelineEntry[];
  /** ns before a failed pipeline with `restart` starts again. */
  readonly restartDelay: number;
}

export class RunConfigError extends Error {
  override readonly name = 'RunConfigError';
}

const TOP = ['profile', 'pipelines', 'restartDelay'];
const ENTRY = ['name', 'launch', 'profile', 'restart'];

function keys(o: Record<string, unknown>, allowed: readonly string[], at: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new RunConfigError(`${at}: unknown key '${k}' (keys: ${allowed.join(', ')})`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function profileOf(v: unknown, at: string, fallback: 'live' | 'throughput'): 'live' | 'throughput' {
  if (v === undefined) return fallback;
  if (v !== 'live' && v !== 'throughput') throw new RunConfigError(`${at}: must be "live" or "throughput", got ${JSON.stringify(v)}`);
  return v;
}

/** Parses and checks a pipeline file's text (not the pipelines themselves: `g2g run` builds them). */
export function parseRunConfig(text: string, file = 'the pipeline file'): RunConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RunConfigError(`${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(raw)) throw new RunConfigError(`${file}: expected an object with "pipelines"`);
  keys(raw, TOP, file);
  const profile = profileOf(raw.profile, 'profile', 'live');
  let restartDelay = 1e9;
  if (raw.restartDelay !== undefined) {
    if (typeof raw.restartDelay !== 'string' && typeof raw.restartDelay !== 'number') throw new RunConfigError('restartDelay: a duration such as "2s"');
    try {
      restartDelay = typeof raw.restartDelay === 'number' ? raw.restartDelay * 1e9 : parseDuration(raw.restartDelay, 's');
    } catch (e) {
      throw new RunConfigError(`restartDelay: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (!Array.isArray(raw.pipelines) || raw.pipelines.length === 0) throw new RunConfigError(`${file}: "pipelines" must be a non-empty array`);
  const names = new Set<string>();
  const pipelines = raw.pipelines.map((e: unknown, i): PipelineEntry => {
    const at = `pipelines[${i}]`;
    if (!isObject(e)) throw new RunConfigError(`${at}: expected an object with "name" and "launch"`);
    keys(e, ENTRY, at);
    if (typeof e.name !== 'string' || !/^[\w.-]{1,64}$/.test(e.name)) throw new RunConfigError(`${at}.name: 1–64 letters, digits, '_', '-' or '.'`);
    if (names.has(e.name)) throw new RunConfigError(`${at}.name: '${e.name}' is used twice`);
    names.add(e.name);
    if (typeof e.launch !== 'string' || e.launch.trim() === '') throw new RunConfigError(`${at}.launch: a pipeline in launch syntax`);
    if (e.restart !== undefined && typeof e.restart !== 'boolean') throw new RunConfigError(`${at}.restart: true or false`);
    return { name: e.name, launch: e.launch, profile: profileOf(e.profile, `${at}.profile`, profile), restart: e.restart === true };
  });
  return { pipelines, restartDelay };
}
