/* openh264's rate control on given frames, with the recorder's encoder settings (native/src/
 * h264-session.cc: bitrate mode, full-range BT.601 through libyuv's J420, constant SPS/PPS ids)
 * and the knobs the recorder's defaults were chosen by: usage, bitrate, the frame rate rate
 * control budgets for, frame skipping, and a forced IDR every N frames. The variant of
 * ../shared/bench/openh264-native.c that rate-control.bench.ts runs.
 *
 *   openh264-rate-control FRAMES.rgb WIDTH HEIGHT COUNT screen|camera BITRATE FPS SKIP IDR_EVERY OUT.h264
 *
 * FRAMES.rgb: COUNT packed RGB frames (R, G, B bytes), from a file, or stdin for "-". SKIP: 1 leaves
 * openh264's frame skipping on (its default), 0 turns it off. IDR_EVERY: 0 for none but the first.
 * Frame i is stamped i * 1000 / FPS ms. Writes the coded frames to OUT.h264 (Annex B) and prints
 * a line per frame, "frame I TYPE BYTES QP" (TYPE idr, p or skip; QP the frame's quantiser from
 * openh264's rate-control trace, -1 for a skipped frame).
 */
#include <libyuv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wels/codec_api.h>

/* The quantiser of the frame being coded, from the trace line rate control writes after it. */
static int g_frame_qp = -1;

static void trace(void *context, int level, const char *message) {
  (void)context;
  (void)level;
  const char *at = strstr(message, "encoding_qp = ");
  if (at != NULL) g_frame_qp = atoi(at + strlen("encoding_qp = "));
}

int main(int argc, char **argv) {
  if (argc != 11) {
    fprintf(stderr, "usage: %s FRAMES.rgb WIDTH HEIGHT COUNT screen|camera BITRATE FPS SKIP IDR_EVERY OUT.h264\n", argv[0]);
    return 2;
  }
  const int width = atoi(argv[2]), height = atoi(argv[3]), count = atoi(argv[4]);
  const int screen = strcmp(argv[5], "screen") == 0;
  const int bitrate = atoi(argv[6]);
  const float fps = (float)atof(argv[7]);
  const int skip = atoi(argv[8]), idr_every = atoi(argv[9]);
  FILE *in = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb"), *out = fopen(argv[10], "wb");
  if (in == NULL || out == NULL) {
    perror(in == NULL ? argv[1] : argv[10]);
    return 1;
  }
  const size_t rgb_size = (size_t)width * height * 3;
  unsigned char *rgb = malloc(rgb_size), *rgba = malloc((size_t)width * height * 4);
  unsigned char *y = malloc((size_t)width * height * 3 / 2);
  unsigned char *u = y + (size_t)width * height, *v = u + (size_t)width * height / 4;

  ISVCEncoder *encoder;
  WelsCreateSVCEncoder(&encoder);
  int level = WELS_LOG_DEBUG; /* the per-frame quantiser is only in the debug trace */
  WelsTraceCallback callback = trace;
  (*encoder)->SetOption(encoder, ENCODER_OPTION_TRACE_CALLBACK, &callback);
  (*encoder)->SetOption(encoder, ENCODER_OPTION_TRACE_LEVEL, &level);
  SEncParamExt params;
  (*encoder)->GetDefaultParams(encoder, &params);
  params.iUsageType = screen ? SCREEN_CONTENT_REAL_TIME : CAMERA_VIDEO_REAL_TIME;
  params.iPicWidth = width;
  params.iPicHeight = height;
  params.iTargetBitrate = bitrate;
  params.iRCMode = RC_BITRATE_MODE;
  params.fMaxFrameRate = fps;
  params.uiIntraPeriod = 0;
  params.bEnableFrameSkip = skip != 0;
  params.eSpsPpsIdStrategy = CONSTANT_ID;
  params.iMultipleThreadIdc = 1;
  params.iSpatialLayerNum = 1;
  SSpatialLayerConfig *layer = &params.sSpatialLayers[0];
  layer->iVideoWidth = width;
  layer->iVideoHeight = height;
  layer->fFrameRate = fps;
  layer->iSpatialBitrate = bitrate;
  layer->bVideoSignalTypePresent = true;
  layer->uiVideoFormat = VF_UNDEF;
  layer->bFullRange = true;
  layer->bColorDescriptionPresent = true;
  layer->uiColorPrimaries = CP_BT709;
  layer->uiTransferCharacteristics = TRC_IEC61966_2_1;
  layer->uiColorMatrix = CM_SMPTE170M;
  if ((*encoder)->InitializeExt(encoder, &params) != 0) {
    fprintf(stderr, "openh264 rejected the parameters\n");
    return 1;
  }
  int format = videoFormatI420;
  (*encoder)->SetOption(encoder, ENCODER_OPTION_DATAFORMAT, &format);

  for (int i = 0; i < count; i++) {
    if (fread(rgb, 1, rgb_size, in) != rgb_size) {
      fprintf(stderr, "frame %d: short read\n", i);
      return 1;
    }
    for (size_t p = 0, q = 0; p < rgb_size; p += 3, q += 4) {
      rgba[q] = rgb[p];
      rgba[q + 1] = rgb[p + 1];
      rgba[q + 2] = rgb[p + 2];
      rgba[q + 3] = 255;
    }
    /* libyuv's ABGR is R, G, B, A in memory; J420 is full-range BT.601, as the recorder's. */
    ABGRToJ420(rgba, width * 4, y, width, u, width / 2, v, width / 2, width, height);
    SSourcePicture picture;
    memset(&picture, 0, sizeof picture);
    picture.iColorFormat = videoFormatI420;
    picture.iPicWidth = width;
    picture.iPicHeight = height;
    picture.iStride[0] = width;
    picture.iStride[1] = picture.iStride[2] = width / 2;
    picture.pData[0] = y;
    picture.pData[1] = u;
    picture.pData[2] = v;
    picture.uiTimeStamp = (long long)(i * 1000.0 / fps + 0.5);
    if (idr_every > 0 && i > 0 && i % idr_every == 0) (*encoder)->ForceIntraFrame(encoder, true);
    SFrameBSInfo info;
    memset(&info, 0, sizeof info);
    g_frame_qp = -1;
    if ((*encoder)->EncodeFrame(encoder, &picture, &info) != 0) {
      fprintf(stderr, "frame %d: EncodeFrame failed\n", i);
      return 1;
    }
    size_t bytes = 0;
    for (int l = 0; l < info.iLayerNum; l++) {
      size_t size = 0;
      for (int n = 0; n < info.sLayerInfo[l].iNalCount; n++) size += info.sLayerInfo[l].pNalLengthInByte[n];
      fwrite(info.sLayerInfo[l].pBsBuf, 1, size, out);
      bytes += size;
    }
    const int skipped = info.eFrameType == videoFrameTypeSkip;
    printf("frame %d %s %zu %d\n", i, skipped ? "skip" : info.eFrameType == videoFrameTypeIDR ? "idr" : "p", bytes,
           skipped ? -1 : g_frame_qp);
  }
  fclose(out);
  WelsDestroySVCEncoder(encoder);
  return 0;
}
