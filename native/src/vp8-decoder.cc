// VP8 stream frames with libvpx.
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "video-decoder.h"

namespace screencap {

namespace {

class Vp8Decoder : public FrameDecoder {
 public:
  Vp8Decoder() = default;
  ~Vp8Decoder() override { vpx_codec_destroy(&codec_); }

  std::string Init() {
    vpx_codec_dec_cfg_t config = {1, 0, 0};  // one thread: stream regions are small
    if (vpx_codec_dec_init(&codec_, vpx_codec_vp8_dx(), &config, 0) != VPX_CODEC_OK) {
      return std::string("libvpx could not create a VP8 decoder: ") + vpx_codec_error(&codec_);
    }
    return "";
  }

  std::string Decode(const uint8_t* data, size_t length, YuvPicture* picture,
                     bool* shown) override {
    *shown = false;
    if (length == 0) return "an empty VP8 frame";
    if (length > UINT32_MAX) return "a VP8 frame over 4 GiB";
    if (vpx_codec_decode(&codec_, data, static_cast<unsigned int>(length), nullptr, 0) !=
        VPX_CODEC_OK) {
      const char* detail = vpx_codec_error_detail(&codec_);
      return std::string("corrupt VP8 data (libvpx: ") + vpx_codec_error(&codec_) +
             (detail ? std::string(", ") + detail : std::string()) + ")";
    }
    vpx_codec_iter_t iter = nullptr;
    const vpx_image_t* image = vpx_codec_get_frame(&codec_, &iter);
    if (image == nullptr) return "";
    if (image->fmt != VPX_IMG_FMT_I420) return "the VP8 decoder gave a picture that is not 4:2:0";
    // VP8 states no colour matrix (its one colour-space bit is reserved): the caller's applies.
    *picture = YuvPicture{image->planes[VPX_PLANE_Y],   image->planes[VPX_PLANE_U],
                          image->planes[VPX_PLANE_V],   image->stride[VPX_PLANE_Y],
                          image->stride[VPX_PLANE_U],   static_cast<int>(image->d_w),
                          static_cast<int>(image->d_h), Chroma::k420,
                          Matrix::kUnstated,            image->range == VPX_CR_FULL_RANGE};
    *shown = true;
    return "";
  }

 private:
  vpx_codec_ctx_t codec_{};
};

}  // namespace

std::unique_ptr<FrameDecoder> CreateVp8Decoder(std::string* error) {
  auto decoder = std::make_unique<Vp8Decoder>();
  *error = decoder->Init();
  if (!error->empty()) return nullptr;
  return decoder;
}

}  // namespace screencap
