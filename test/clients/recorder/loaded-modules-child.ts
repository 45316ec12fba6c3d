/**
 * Runs the CLI like bin/screencap.js, then prints which recorder, MP4 and H.264 modules the run
 * loaded (as JSON after "LOADED "): a child process, so the test runner's own imports do not count
 * (nor this file, which lives in test/clients/recorder: only modules of src/ are listed).
 */
import { main } from '../../../src/cli/main';

void main(process.argv.slice(2)).then((code) => {
  const loaded = Object.keys(require.cache).filter((path) => /[\\/]src[\\/](clients[\\/]recorder|media[\\/]mp4|codec[\\/]h264)/.test(path));
  process.stdout.write(`LOADED ${JSON.stringify(loaded)}\n`);
  process.exitCode = code;
});
