/**
 * How faithful a recording of the scrolling page is (see scroll-page.ts): every decoded picture
 * whose two frame codes agree is compared, with ffmpeg's psnr filter in RGB, with that frame as
 * the page program drew it. A picture whose codes disagree was caught between two of the
 * program's drawing steps on its way to the recording, or while a viewer repainted its window
 * (a torn picture, part of one frame and part of the next): it has no single truth to compare
 * with and is counted apart.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import type { ReadCode, ScrollPage } from './scroll-page';

export interface RecordingQuality {
  /** Pictures in the file, as ffmpeg decodes them. */
  frames: number;
  /** Pictures whose codes agree, which the PSNR covers. */
  compared: number;
  /** PSNR in dB of the compared pictures, from their mean squared error over R, G and B. */
  psnrDb: number;
  /** The lowest single picture's PSNR. */
  worstDb: number;
  /**
   * The median picture's PSNR: the mean above lets a few pictures far off weigh much (a lagging
   * viewer's picture caught mid-frame under codes that agree, see VIEWS_AHEAD), the median shows
   * the coding's own loss.
   */
  medianDb: number;
}

/** Runs ffmpeg to its end; `feed` writes its stdin. Resolves with stdout. */
function ffmpeg(args: string[], feed?: (stdin: NodeJS.WritableStream) => Promise<void>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-v', 'error', '-nostdin', ...args], {
      stdio: [feed ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg ${args.join(' ')}: ${err.slice(-2000)}`)),
    );
    if (feed) feed(child.stdin!).catch(reject);
  });
}

function write(stream: NodeJS.WritableStream, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

/** The frame codes of every picture of `path`, in presentation order. */
async function readCodes(path: string, page: ScrollPage): Promise<ReadCode[]> {
  const { top, bottom, rows, width } = page.codeArea;
  const codes = `split[a][b];[a]crop=${width}:${rows}:0:${top}[top];[b]crop=${width}:${rows}:0:${bottom}[bottom];[top][bottom]vstack,format=gray`;
  const raw = await ffmpeg(['-i', path, '-fps_mode', 'passthrough', '-vf', codes, '-f', 'rawvideo', '-']);
  const size = width * rows * 2;
  return Array.from({ length: raw.length / size }, (_, i) => page.readCode(raw.subarray(i * size, (i + 1) * size)));
}

/**
 * How far the picture can be ahead of its codes. SPICE servers drop a queued drawing that a newer
 * one covers whole before it is sent: to a client that lags, the next frame's code replaces this
 * one's unsent code and is sent after the scroll, so the picture shows frame N + 1 (or N + 2)
 * under frame N's codes for a moment. Each picture is compared with the frames its codes could
 * hide, the best taken: a different frame is 8 rows away, far worse (about 14 dB) than any coding
 * loss, so the best is the frame shown and the choice cannot flatter a recording.
 */
const VIEWS_AHEAD = [0, 1, 2];

/**
 * Mean squared error (R, G and B) of each picture of `path` (any video ffmpeg reads, an MP4 or a
 * raw .h264 stream) against `truth(i)`, packed RGB at the page's size.
 */
export async function squaredErrors(
  path: string,
  page: ScrollPage,
  count: number,
  truth: (i: number, out: Buffer) => void,
  statsPath: string,
) {
  const { width, height } = page.layout;
  const picture = Buffer.alloc(width * height * 3);
  // Both inputs numbered 0, 1, 2... on one time base, so that the filter pairs them in order
  // whatever the recording's timestamps.
  const numbered = 'settb=1/30,setpts=N';
  await ffmpeg(
    [
      '-i',
      path,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-framerate',
      '30',
      '-i',
      'pipe:0',
      '-filter_complex',
      `[0:v]${numbered},format=rgb24[recorded];[1:v]${numbered}[truth];[recorded][truth]psnr=stats_file=${statsPath}`,
      '-fps_mode',
      'passthrough',
      '-f',
      'null',
      '-',
    ],
    async (stdin) => {
      for (let i = 0; i < count; i++) {
        truth(i, picture);
        await write(stdin, picture);
      }
      stdin.end();
    },
  );
  const mse = readFileSync(statsPath, 'utf8')
    .trim()
    .split('\n')
    .map((line) => Number(/mse_avg:(\S+)/.exec(line)?.[1]));
  rmSync(statsPath, { force: true });
  if (mse.length !== count) throw new Error(`${path}: the psnr filter compared ${mse.length} pictures of ${count}`);
  return mse;
}

export async function recordingQuality(path: string, page: ScrollPage, statsPath: string): Promise<RecordingQuality> {
  const codes = await readCodes(path, page);
  const whole = codes.map((code, i) => ({ code: code.top, i })).filter(({ i }) => codes[i]!.top === codes[i]!.bottom);
  // A viewer that repaints message by message is caught mid-frame often (spicy: about half its
  // pictures); almost none agreeing means the codes were not where they were read.
  if (whole.length < codes.length / 10) {
    throw new Error(`${path}: only ${whole.length} of ${codes.length} pictures show one whole frame: is the picture where the codes are?`);
  }
  const best = new Array<number>(codes.length).fill(Infinity);
  for (const ahead of VIEWS_AHEAD) {
    const errors = await squaredErrors(
      path,
      page,
      codes.length,
      (i, out) => page.frame(codes[i]!.top, out, codes[i]!.top + ahead),
      statsPath,
    );
    errors.forEach((error, i) => (best[i] = Math.min(best[i]!, error)));
  }
  const compared = whole.map(({ i }) => best[i]!);
  const toDb = (error: number) => (error === 0 ? Infinity : 10 * Math.log10((255 * 255) / error));
  const mean = compared.reduce((sum, error) => sum + error, 0) / compared.length;
  const sorted = [...compared].sort((a, b) => a - b);
  return {
    frames: codes.length,
    compared: compared.length,
    psnrDb: toDb(mean),
    worstDb: toDb(sorted.at(-1)!),
    medianDb: toDb(sorted[sorted.length >> 1]!),
  };
}
