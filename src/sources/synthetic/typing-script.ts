/** What the synthetic terminal types, line by line, looping forever. */
export const TYPING_SCRIPT: readonly string[] = [
  '$ screencap serve --source synthetic --vsync 60',
  'listening on 127.0.0.1:50051',
  '$ uname -a',
  'Linux desktop 6.1.0 #1 SMP x86_64 GNU/Linux',
  '$ ls ~/projects',
  'capture  notes.txt  recorder  viewer',
  '$ cat notes.txt',
  'frames are latched at vsync, only when damaged',
  'a static screen costs nothing',
  '$ date',
  '',
];
