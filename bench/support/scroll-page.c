/*
 * A busy desktop that can be reproduced pixel for pixel: a full-screen window that scrolls a
 * tall page up by STEP rows FPS times a second, as a browser or document viewer does, under a
 * band that carries the number of the frame being drawn. The recording benchmark
 * (bench/spice-recording.bench.ts) rebuilds what any frame N looks like from the page alone, and
 * reads N back from each recorded picture to know which frame it shows.
 *
 *   scroll-page PAGE.bgra WIDTH PAGE_ROWS SCREEN_ROWS BAND STEP CELL FPS
 *
 * PAGE.bgra: WIDTH x PAGE_ROWS pixels, 4 bytes each (B, G, R, unused: the X server's 24-bit
 * layout on little-endian machines). The page wraps around, so PAGE_ROWS, SCREEN_ROWS - 2 * BAND
 * and the offsets the strips are read from must all be multiples of STEP (a strip never wraps).
 *
 * Frame N, on the screen: a grey band of BAND rows at the top and one at the bottom, each with a
 * copy of N at its left edge (16 bits, most significant first, one CELL x CELL square a bit, white
 * for 1 and black for 0); between them, page rows from (N * STEP) % PAGE_ROWS on, wrapping. Each
 * frame is drawn as: the top code (one image), the scroll (a copy of the window onto itself STEP
 * rows up, a SPICE COPY_BITS), the new strip above the bottom band (one image), the bottom code.
 * A picture caught between two of those steps has codes that disagree, and so has one caught
 * while a viewer repaints its window top to bottom in bands: the benchmark leaves those out.
 *
 * Runs until killed. Frames that fall behind the clock are not caught up on: N counts frames
 * drawn, not time, so the page position always follows N. The code holds N modulo 65536 (18
 * minutes at 60 frames a second): the benchmark's runs are shorter.
 */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CODE_BITS 16

static void die(const char *message) {
  fprintf(stderr, "scroll-page: %s\n", message);
  exit(1);
}

/* Paints frame number n into a code image (CODE_BITS cells in a row). */
static void paint_code(XImage *code, unsigned n, int cell) {
  for (int bit = 0; bit < CODE_BITS; bit++) {
    uint32_t colour = (n >> (CODE_BITS - 1 - bit)) & 1 ? 0xffffff : 0x000000;
    for (int y = 0; y < cell; y++) {
      uint32_t *row = (uint32_t *)(code->data + (size_t)y * code->bytes_per_line) + bit * cell;
      for (int x = 0; x < cell; x++) row[x] = colour;
    }
  }
}

static void add_ns(struct timespec *t, long ns) {
  t->tv_nsec += ns;
  while (t->tv_nsec >= 1000000000L) {
    t->tv_nsec -= 1000000000L;
    t->tv_sec++;
  }
}

int main(int argc, char **argv) {
  if (argc != 9) die("usage: scroll-page PAGE.bgra WIDTH PAGE_ROWS SCREEN_ROWS BAND STEP CELL FPS");
  const char *path = argv[1];
  int width = atoi(argv[2]), page_rows = atoi(argv[3]), screen_rows = atoi(argv[4]);
  int band = atoi(argv[5]), step = atoi(argv[6]), cell = atoi(argv[7]), fps = atoi(argv[8]);
  if (width <= 0 || page_rows <= 0 || screen_rows <= 2 * band || step <= 0 || cell <= 0 || fps <= 0 || band < cell)
    die("sizes must be positive, BAND at least CELL, two bands less than SCREEN_ROWS");
  if (page_rows % step || (screen_rows - 2 * band) % step) die("PAGE_ROWS and SCREEN_ROWS - 2 * BAND must be multiples of STEP");
  if (page_rows < screen_rows - 2 * band) die("the page must be at least as tall as the screen between the bands");
  if (CODE_BITS * cell > width) die("a code does not fit in WIDTH");

  size_t page_bytes = (size_t)width * page_rows * 4;
  char *page = malloc(page_bytes);
  FILE *file = fopen(path, "rb");
  if (!page || !file || fread(page, 1, page_bytes, file) != page_bytes) die("cannot read the page file");
  fclose(file);

  Display *display = XOpenDisplay(NULL);
  if (!display) die("cannot open the display");
  int screen = DefaultScreen(display);
  Visual *visual = DefaultVisual(display, screen);
  if (DefaultDepth(display, screen) != 24) die("the display's depth is not 24");

  /* Override-redirect: placed exactly at 0,0 with no window manager involved. */
  XSetWindowAttributes attributes = {.override_redirect = True, .background_pixel = 0x808080};
  Window window = XCreateWindow(display, RootWindow(display, screen), 0, 0, width, screen_rows, 0, 24, InputOutput, visual,
                                CWOverrideRedirect | CWBackPixel, &attributes);
  XSelectInput(display, window, ExposureMask);
  XMapRaised(display, window);
  XEvent event;
  do XNextEvent(display, &event);
  while (event.type != Expose);

  XGCValues values = {.graphics_exposures = False};
  GC gc = XCreateGC(display, window, GCGraphicsExposures, &values);
  XImage *pageImage = XCreateImage(display, visual, 24, ZPixmap, 0, page, width, page_rows, 32, width * 4);
  XImage *code = XCreateImage(display, visual, 24, ZPixmap, 0, malloc((size_t)CODE_BITS * cell * cell * 4), CODE_BITS * cell, cell,
                              32, CODE_BITS * cell * 4);
  if (!pageImage || !code || !code->data) die("cannot create the images");
  int top_code_y = (band - cell) / 2;
  int bottom_code_y = screen_rows - band + top_code_y;
  int view_rows = screen_rows - 2 * band;

  /* Frame 0: the bands, both codes and the top of the page. */
  XSetForeground(display, gc, 0x808080);
  XFillRectangle(display, window, gc, 0, 0, width, band);
  XFillRectangle(display, window, gc, 0, screen_rows - band, width, band);
  paint_code(code, 0, cell);
  XPutImage(display, window, gc, code, 0, 0, 0, top_code_y, CODE_BITS * cell, cell);
  XPutImage(display, window, gc, code, 0, 0, 0, bottom_code_y, CODE_BITS * cell, cell);
  XPutImage(display, window, gc, pageImage, 0, 0, 0, band, width, view_rows);
  XSync(display, False);

  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  long period_ns = 1000000000L / fps;
  for (unsigned n = 1;; n++) {
    add_ns(&next, period_ns);
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    /* More than a frame late: start the clock again from now rather than draw a burst. */
    if ((now.tv_sec - next.tv_sec) * 1000000000L + (now.tv_nsec - next.tv_nsec) > period_ns) next = now;

    unsigned frame = n & ((1u << CODE_BITS) - 1);
    /* The page row that appears at the bottom of the view with this frame. */
    int strip = (int)(((unsigned long)n * step + view_rows - step) % page_rows);
    paint_code(code, frame, cell);
    XPutImage(display, window, gc, code, 0, 0, 0, top_code_y, CODE_BITS * cell, cell);
    XCopyArea(display, window, window, gc, 0, band + step, width, view_rows - step, 0, band);
    XPutImage(display, window, gc, pageImage, 0, strip, 0, band + view_rows - step, width, step);
    XPutImage(display, window, gc, code, 0, 0, 0, bottom_code_y, CODE_BITS * cell, cell);
    XSync(display, False);
  }
}
