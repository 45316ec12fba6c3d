// H.264 stream frames with FFmpeg's decoder (libavcodec). Not openh264's, though the encoder
// links it: spice-server's pipeline (appsrc ! videoconvert ! x264enc) lets videoconvert pick the
// 4:4:4 input x264 accepts for the server's BGRx frames, so the streams are High 4:4:4 Predictive,
// which openh264 does not decode. libavcodec decodes every profile x264 writes, and reports the
// colour matrix and range the stream's VUI states.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
}

#include <vector>

#include "video-decoder.h"

namespace screencap {

namespace {

std::string AvError(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, text, sizeof(text));
  return text;
}

class H264Decoder : public FrameDecoder {
 public:
  H264Decoder(AVCodecContext* context, AVPacket* packet, AVFrame* frame)
      : context_(context), packet_(packet), frame_(frame) {}

  ~H264Decoder() override {
    av_frame_free(&frame_);
    av_packet_free(&packet_);
    avcodec_free_context(&context_);
  }

  std::string Decode(const uint8_t* data, size_t length, YuvPicture* picture,
                     bool* shown) override {
    *shown = false;
    if (length == 0) return "an empty H.264 frame";
    if (length > static_cast<size_t>(INT32_MAX) - AV_INPUT_BUFFER_PADDING_SIZE) {
      return "an H.264 frame over 2 GiB";
    }
    // libavcodec reads up to AV_INPUT_BUFFER_PADDING_SIZE bytes past the data; the copy, into a
    // buffer reused from frame to frame, gives it zeroed bytes there.
    if (input_.size() < length + AV_INPUT_BUFFER_PADDING_SIZE) {
      input_.resize(length + AV_INPUT_BUFFER_PADDING_SIZE);
    }
    std::copy(data, data + length, input_.begin());
    std::fill(input_.begin() + length, input_.begin() + length + AV_INPUT_BUFFER_PADDING_SIZE, 0);
    packet_->data = input_.data();
    packet_->size = static_cast<int>(length);
    const int sent = avcodec_send_packet(context_, packet_);
    if (sent < 0) return "corrupt H.264 data (libavcodec: " + AvError(sent) + ")";
    av_frame_unref(frame_);
    const int received = avcodec_receive_frame(context_, frame_);
    if (received == AVERROR(EAGAIN)) return "";
    if (received < 0) return "corrupt H.264 data (libavcodec: " + AvError(received) + ")";
    if (frame_->decode_error_flags != 0 || (frame_->flags & AV_FRAME_FLAG_CORRUPT)) {
      return "corrupt H.264 data (libavcodec decoded a damaged picture)";
    }
    YuvPicture result{};
    switch (frame_->format) {
      case AV_PIX_FMT_YUV420P: case AV_PIX_FMT_YUVJ420P: result.chroma = Chroma::k420; break;
      case AV_PIX_FMT_YUV422P: case AV_PIX_FMT_YUVJ422P: result.chroma = Chroma::k422; break;
      case AV_PIX_FMT_YUV444P: case AV_PIX_FMT_YUVJ444P: result.chroma = Chroma::k444; break;
      default: return "an H.264 picture in a pixel format other than 8-bit 4:2:0, 4:2:2 or 4:4:4";
    }
    result.y = frame_->data[0];
    result.u = frame_->data[1];
    result.v = frame_->data[2];
    result.y_stride = frame_->linesize[0];
    result.uv_stride = frame_->linesize[1];
    result.width = frame_->width;
    result.height = frame_->height;
    result.full_range = frame_->color_range == AVCOL_RANGE_JPEG || frame_->format == AV_PIX_FMT_YUVJ420P ||
                        frame_->format == AV_PIX_FMT_YUVJ422P || frame_->format == AV_PIX_FMT_YUVJ444P;
    result.matrix = frame_->colorspace == AVCOL_SPC_BT709 ? Matrix::kBt709
                    : frame_->colorspace == AVCOL_SPC_UNSPECIFIED ? Matrix::kUnstated
                                                                  : Matrix::kBt601;
    *picture = result;
    *shown = true;
    return "";
  }

 private:
  AVCodecContext* context_;
  AVPacket* packet_;
  AVFrame* frame_;
  std::vector<uint8_t> input_;
};

}  // namespace

std::unique_ptr<FrameDecoder> CreateH264Decoder(std::string* error) {
  // Corrupt input is reported through Decode; libavcodec's own log would only repeat it on stderr.
  av_log_set_level(AV_LOG_QUIET);
  const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_H264);
  if (codec == nullptr) {
    *error = "libavcodec has no H.264 decoder";
    return nullptr;
  }
  AVCodecContext* context = avcodec_alloc_context3(codec);
  AVPacket* packet = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  if (context == nullptr || packet == nullptr || frame == nullptr) {
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&context);
    *error = "libavcodec could not allocate an H.264 decoder";
    return nullptr;
  }
  // One thread and low delay: each access unit gives its picture at once (x264's zerolatency
  // tune, which spice-server uses, writes no B-frames). EXPLODE: stop at the first error rather
  // than conceal it, so that damage is reported instead of drawn.
  context->thread_count = 1;
  context->flags |= AV_CODEC_FLAG_LOW_DELAY;
  context->err_recognition |= AV_EF_EXPLODE;
  const int opened = avcodec_open2(context, codec, nullptr);
  if (opened < 0) {
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&context);
    *error = "libavcodec could not open its H.264 decoder: " + AvError(opened);
    return nullptr;
  }
  return std::make_unique<H264Decoder>(context, packet, frame);
}

}  // namespace screencap
