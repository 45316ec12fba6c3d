/** `screencap serve`: serve a display over gRPC until interrupted. */
import { CaptureServer, DEFAULT_LISTEN, parseListenAddress } from '../server';
import { DEFAULT_LIMITS } from '../server/limits';
import { createSource, SOURCE_FORMS } from '../sources';
import { validateDisplaySize } from '../sources/synthetic/synthetic-desktop';
import type { ReclaimPolicy } from '../sources/spice/reclaim-policy';
import { ImageCompression, type ImageCompressionName } from '../sources/spice/wire/constants';
import { createLogger, processLogShows } from '../util/logger';
import { type Command, rethrowAsUsage, UsageError } from './command';
import { parseDuration, parseNumber, parseSize, readFileOption, tokenOption } from './option-values';
import { firstRecordingOption, parseRecordingSettings, recordingOptionSpecs } from './recording-options';
import { METRICS_OPTION, startMetrics } from './metrics-option';
import { resolveRecordingOutput } from './recording-output';
import { reclaimOnHangUp } from './reclaim-signal';
import { untilStopSignal } from './stop-signal';
import { firstViewingOption, parseViewingSettings, viewingOptionSpecs } from './viewing-options';

/** `serve --record DIR --record-size 1280x720 ...`: the record command's options under this prefix. */
const RECORD_PREFIX = 'record-';
/** `serve --view ADDR --view-size 640x360 ...`: the view command's options under this prefix. */
const VIEW_PREFIX = 'view-';

const SPICE_COMPRESSIONS = Object.keys(ImageCompression);

function parseSpiceCompression(value: string | boolean | undefined): ImageCompressionName | undefined {
  if (typeof value !== 'string') return undefined;
  if (!SPICE_COMPRESSIONS.includes(value)) {
    throw new UsageError(`--spice-compression: must be one of ${SPICE_COMPRESSIONS.join(', ')}, got "${value}"`);
  }
  return value as ImageCompressionName;
}

/** never | always | after=DURATION (see ReclaimPolicy). */
export function parseSpiceReclaim(value: string | boolean | undefined): ReclaimPolicy | undefined {
  if (typeof value !== 'string') return undefined;
  if (value === 'never' || value === 'always') return { mode: value };
  if (value.startsWith('after=')) return { mode: 'after', delayMs: parseDuration(value.slice('after='.length), 'spice-reclaim after') };
  throw new UsageError(`--spice-reclaim: must be never, always or after=DURATION (for example after=10m), got "${value}"`);
}

/** --spice-share and its certificate: where viewers connect, and the TLS they get there. */
function parseSpiceShare(values: Record<string, string | boolean | undefined>, source: string) {
  const address = values['spice-share'];
  const certFile = values['spice-share-cert'];
  const keyFile = values['spice-share-key'];
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError('--spice-share-cert and --spice-share-key go together: give both or neither');
  }
  if (typeof address !== 'string') {
    if (certFile !== undefined) throw new UsageError('--spice-share-cert: only applies with --spice-share HOST:PORT');
    return undefined;
  }
  if (!/^spice(\+tls)?:/i.test(source)) throw new UsageError('--spice-share: only applies to a spice:// or spice+tls:// --source');
  let listen;
  try {
    listen = parseListenAddress(address, 'spice-share');
  } catch (error) {
    rethrowAsUsage(error);
  }
  const { host, port } = listen;
  const tls =
    typeof certFile === 'string' && typeof keyFile === 'string'
      ? { cert: readFileOption(certFile, 'spice-share-cert'), key: readFileOption(keyFile, 'spice-share-key') }
      : undefined;
  if (/^spice\+tls:/i.test(source) && !tls) {
    throw new UsageError('--spice-share: a spice+tls source needs --spice-share-cert and --spice-share-key (viewers link with TLS)');
  }
  return { host, port, tls };
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve a display over the screencapture.v1 gRPC API (with health and reflection) until interrupted.',
  options: {
    listen: {
      type: 'string',
      value: 'HOST:PORT',
      description: 'Address to listen on; a non-loopback address needs --tls-cert/--tls-key or --insecure',
      default: DEFAULT_LISTEN,
    },
    source: { type: 'string', value: 'SOURCE', description: `What to capture: ${SOURCE_FORMS.join(', ')}`, default: 'synthetic' },
    size: { type: 'string', value: 'WxH', description: 'Size of the synthetic desktop', default: '1920x1080' },
    metrics: METRICS_OPTION,
    'spice-password-file': { type: 'string', value: 'FILE', description: 'SPICE: file holding the server password (ticket)' },
    'spice-ca': { type: 'string', value: 'FILE', description: 'SPICE: PEM CA that signed a spice+tls server certificate' },
    'spice-compression': {
      type: 'string',
      value: 'NAME',
      description: 'SPICE: image compression to ask for (off, auto_glz, auto_lz, quic, glz, lz, lz4)',
    },
    'spice-reclaim': {
      type: 'string',
      value: 'WHEN',
      description:
        "SPICE: when another client (a user's viewer) took the VM's session: never take it back (SIGHUP does), after=DURATION, or always at once",
      default: 'never',
    },
    'spice-dump': {
      type: 'string',
      value: 'DIR',
      description: "SPICE: write every channel's traffic to one pcap file in DIR (spice-TIME.pcap), for bug reports",
    },
    'spice-share': {
      type: 'string',
      value: 'HOST:PORT',
      description: 'SPICE: a share port: point your own viewer (remote-viewer, spicy) here to use the VM while screencap keeps capturing',
    },
    'spice-share-cert': {
      type: 'string',
      value: 'FILE',
      description: 'SPICE: PEM certificate the share port serves TLS with (needed for spice+tls sources)',
    },
    'spice-share-key': { type: 'string', value: 'FILE', description: 'SPICE: PEM private key for --spice-share-cert' },
    vsync: { type: 'string', value: 'HZ', description: 'Vsync rate: the most frames per second the scheduler latches', default: '60' },
    'tls-cert': { type: 'string', value: 'FILE', description: 'PEM certificate chain: serve TLS' },
    'tls-key': { type: 'string', value: 'FILE', description: 'PEM private key for --tls-cert' },
    insecure: { type: 'boolean', description: 'Allow a non-loopback --listen without TLS' },
    'no-local-frame-socket': {
      type: 'boolean',
      description: "Serve frames over gRPC only: no Unix socket for this machine's shared-memory clients (docs/api.md)",
    },
    token: { type: 'string', value: 'TOKEN', description: 'Require "authorization: Bearer TOKEN" on every call (or set SCREENCAP_TOKEN)' },
    'idle-timeout': {
      type: 'string',
      value: 'DURATION',
      description: 'Close a session that holds no call this long',
      default: `${DEFAULT_LIMITS.idleTimeoutMs / 1000}s`,
    },
    'max-sessions': { type: 'string', value: 'N', description: 'Sessions open at once', default: String(DEFAULT_LIMITS.maxSessions) },
    record: {
      type: 'string',
      value: 'FILE|DIR',
      description: 'Also record the display (a client of this server) until stopped: to FILE.mp4, or a new dated file in DIR',
    },
    force: { type: 'boolean', short: 'y', description: 'Overwrite the --record file if it exists' },
    // The same settings as `screencap record`, prefixed: --size above is the desktop's.
    ...recordingOptionSpecs(RECORD_PREFIX),
    view: {
      type: 'string',
      value: 'HOST:PORT',
      description: 'Also serve the live view page here (a client of this server), e.g. 127.0.0.1:8080',
    },
    // The same settings as `screencap view`, prefixed.
    ...viewingOptionSpecs(VIEW_PREFIX),
  },
  details: [
    'Examples:',
    '  screencap serve',
    '  screencap serve --size 1280x720 --vsync 30',
    '  screencap serve --source image:wallpaper.png',
    '  screencap serve --record captures/ --record-size 1280x720 --record-bitrate 2M',
    '  screencap serve --view 127.0.0.1:8080      (then open http://127.0.0.1:8080)',
    '  screencap serve --source spice://127.0.0.1:5900 --spice-password-file vm.pass',
    '  screencap serve --source spice://127.0.0.1:5900 --spice-reclaim after=10m',
    '  screencap serve --source spice://127.0.0.1:5900 --spice-share 127.0.0.1:5901',
    '  screencap serve --listen 0.0.0.0:50051 --tls-cert cert.pem --tls-key key.pem --token "$(cat token)"',
    '',
    "A SPICE server takes one client at a time: when a user's viewer connects straight to the VM,",
    'screencap keeps serving the last picture and reports the source DISPLACED. By default it',
    'does not take the session back (the viewer would be thrown off); SIGHUP takes it back now.',
    "With --spice-share, the viewer connects to screencap's share port instead, and both see the VM.",
    '',
    'Any gRPC tool can call the API without the .proto files, through server reflection:',
    '  buf curl --protocol grpc --http2-prior-knowledge --reflect \\',
    '    http://127.0.0.1:50051/screencapture.v1.ScreenCapture/GetDisplayInfo',
    '',
    'Logs go to stderr; --log-level debug (or SCREENCAP_LOG=debug) shows every refused call.',
  ].join('\n'),

  async run(values) {
    const logger = createLogger('screencap');
    const size = parseSize(String(values.size ?? '1920x1080'), 'size', validateDisplaySize);
    const vsync = parseNumber(String(values.vsync ?? '60'), 'vsync', { min: 1, max: 240 });
    const certFile = values['tls-cert'];
    const keyFile = values['tls-key'];
    if ((certFile === undefined) !== (keyFile === undefined)) {
      throw new UsageError('--tls-cert and --tls-key go together: give both or neither');
    }
    const tls =
      typeof certFile === 'string' && typeof keyFile === 'string'
        ? { cert: readFileOption(certFile, 'tls-cert'), key: readFileOption(keyFile, 'tls-key') }
        : undefined;
    const idleTimeoutMs = parseDuration(String(values['idle-timeout'] ?? '30s'), 'idle-timeout');
    const maxSessions = parseNumber(String(values['max-sessions'] ?? DEFAULT_LIMITS.maxSessions), 'max-sessions', {
      min: 1,
      max: 10_000,
      integer: true,
    });
    const spice = {
      password:
        typeof values['spice-password-file'] === 'string'
          ? readFileOption(values['spice-password-file'], 'spice-password-file')
              .toString('utf8')
              .replace(/\r?\n$/, '')
          : undefined,
      ca: typeof values['spice-ca'] === 'string' ? readFileOption(values['spice-ca'], 'spice-ca') : undefined,
      compression: parseSpiceCompression(values['spice-compression']),
      dumpDir: typeof values['spice-dump'] === 'string' ? values['spice-dump'] : undefined,
      reclaim: parseSpiceReclaim(values['spice-reclaim']),
      share: parseSpiceShare(values, String(values.source ?? 'synthetic')),
    };
    const recordDir = typeof values.record === 'string' ? values.record : undefined;
    if (values.record === '') throw new UsageError('--record: expected an MP4 file or a directory');
    const strayRecordOption = recordDir === undefined ? firstRecordingOption(values, RECORD_PREFIX) : undefined;
    if (strayRecordOption) throw new UsageError(`--${strayRecordOption}: only applies with --record DIR`);
    const viewListen = typeof values.view === 'string' ? values.view : undefined;
    if (values.view === '') throw new UsageError('--view: expected HOST:PORT');
    const strayViewOption = viewListen === undefined ? firstViewingOption(values, VIEW_PREFIX) : undefined;
    if (strayViewOption) throw new UsageError(`--${strayViewOption}: only applies with --view HOST:PORT`);
    const viewing = viewListen === undefined ? undefined : parseViewingSettings(values, VIEW_PREFIX);
    const recordSettings = recordDir === undefined ? undefined : parseRecordingSettings(values, RECORD_PREFIX);
    // Checked before the server starts, so an unwritable directory is a usage error, not a log line.
    let recordOutput;
    if (recordDir !== undefined && recordSettings !== undefined) {
      const { prepareOutputDirectory } = await import('../clients/recorder/recorder-options.js');
      const { isH264Available } = await import('../codec/h264/h264-encoder.js');
      recordOutput = resolveRecordingOutput(
        recordDir,
        'record',
        (recordSettings.recorder.format ?? 'mp4') === 'mp4' && isH264Available() ? 'mp4' : 'png',
        values.force === true,
      );
      try {
        await prepareOutputDirectory(recordOutput.outDir);
      } catch (error) {
        throw new UsageError(`--record: ${(error as Error).message}`);
      }
    }
    let source;
    try {
      source = createSource(String(values.source ?? 'synthetic'), { ...size, spice, logger: logger.child('source') });
    } catch (error) {
      throw new UsageError(`--${(error as Error).message}`);
    }

    let server: CaptureServer;
    try {
      server = await CaptureServer.start({
        source,
        listen: typeof values.listen === 'string' ? values.listen : undefined,
        vsync,
        tls,
        insecure: values.insecure === true,
        localFrameSocket: values['no-local-frame-socket'] !== true,
        token: tokenOption(values.token),
        limits: { idleTimeoutMs, maxSessions },
        logger: logger.child('server'),
      });
    } catch (error) {
      rethrowAsUsage(error);
    }
    // Listening for Ctrl-C / SIGTERM from before the address is announced: whoever starts the
    // server on reading it may stop it at once, and must get a clean stop, not a killed process.
    const stopSignal = untilStopSignal(logger);
    const stopReclaiming = reclaimOnHangUp(source, logger);
    // The address on stdout, for whoever started the server (a script reads it there); not
    // again on a terminal whose log line just said it.
    const logSaidIt = process.stdout.isTTY && process.stderr.isTTY && processLogShows('info');
    if (!logSaidIt) process.stdout.write(`screencap serving ${source.description} on ${server.address}\n`);
    // Loaded only when asked for: a server without a recorder runs none of it.
    const recording =
      recordOutput === undefined || recordSettings === undefined
        ? undefined
        : await (await import('../clients/recorder/background-recording.js')).startRecording(
            server.address,
            { ...recordOutput, durationMs: recordSettings.durationMs, ...recordSettings.recorder },
            { token: tokenOption(values.token), tlsCa: tls?.cert },
            logger.child('recorder'),
          );
    let view;
    if (viewListen !== undefined && viewing !== undefined) {
      try {
        view = await (await import('../clients/viewer/background-viewer.js')).startViewer(
          server.address,
          { listen: viewListen, ...viewing },
          { token: tokenOption(values.token), tlsCa: tls?.cert },
          logger.child('viewer'),
        );
      } catch (error) {
        await recording?.stop();
        await server.stop();
        rethrowAsUsage(error);
      }
      process.stdout.write(`screencap live view: open ${view.url}\n`);
    }
    let metrics;
    try {
      metrics = await startMetrics(values.metrics, { server, source, recording, viewerStatus: view && (() => view.status()) });
    } catch (error) {
      await view?.stop();
      await recording?.stop();
      await server.stop();
      throw error;
    }
    if (metrics) process.stdout.write(`screencap metrics: ${metrics.url}\n`);
    // A recording that fails (one that cannot start, a full disk) ends the server with a failure
    // on the terminal and in the exit status: whoever asked for it is told, not only the log.
    const recordingFailed = recording?.failed.then((error) => error) ?? new Promise<never>(() => undefined);
    await Promise.race([stopSignal, recordingFailed]);
    stopReclaiming();
    await metrics?.stop();
    await view?.stop();
    const failure = await recording?.stop();
    await server.stop();
    if (failure !== undefined) throw new Error(`--record ${recordDir}: recording failed: ${failure.message}`);
    return 0;
  },
};
