// H.264 stream frames with openh264's decoder (the library the encoder already links).
#include <wels/codec_api.h>

#include <cstring>

#include "video-decoder.h"

namespace screencap {

namespace {

class H264Decoder : public FrameDecoder {
 public:
  explicit H264Decoder(ISVCDecoder* decoder) : decoder_(decoder) {}

  ~H264Decoder() override {
    decoder_->Uninitialize();
    WelsDestroyDecoder(decoder_);
  }

  std::string Decode(const uint8_t* data, size_t length, YuvPicture* picture,
                     bool* shown) override {
    *shown = false;
    if (length == 0) return "an empty H.264 frame";
    if (length > static_cast<size_t>(INT32_MAX)) return "an H.264 frame over 2 GiB";
    unsigned char* planes[3] = {nullptr, nullptr, nullptr};
    SBufferInfo info;
    std::memset(&info, 0, sizeof(info));
    // NoDelay: spice-server's encoder sends no B-frames, so every access unit is a picture now.
    const DECODING_STATE state =
        decoder_->DecodeFrameNoDelay(data, static_cast<int>(length), planes, &info);
    if (state != dsErrorFree) return StateReason(state);
    if (info.iBufferStatus != 1) return "";
    const SSysMEMBuffer& buffer = info.UsrData.sSystemBuffer;
    if (buffer.iFormat != videoFormatI420 || !planes[0] || !planes[1] || !planes[2]) {
      return "the H.264 decoder gave a picture that is not 4:2:0";
    }
    *picture = YuvPicture{planes[0],         planes[1],        planes[2],     buffer.iStride[0],
                          buffer.iStride[1], buffer.iWidth,    buffer.iHeight, false};
    *shown = true;
    return "";
  }

 private:
  static std::string StateReason(DECODING_STATE state) {
    std::string reason = "corrupt H.264 data (openh264 decoding state 0x";
    const char* hex = "0123456789abcdef";
    std::string digits;
    for (unsigned value = static_cast<unsigned>(state); value; value >>= 4) {
      digits.insert(digits.begin(), hex[value & 15]);
    }
    reason += digits.empty() ? "0" : digits;
    if (state & dsNoParamSets) reason += ": no parameter sets, the stream did not start with a keyframe";
    else if (state & dsBitstreamError) reason += ": bitstream error";
    else if (state & dsRefLost) reason += ": a reference picture is missing";
    return reason + ")";
  }

  ISVCDecoder* decoder_;
};

}  // namespace

std::unique_ptr<FrameDecoder> CreateH264Decoder(std::string* error) {
  ISVCDecoder* decoder = nullptr;
  if (WelsCreateDecoder(&decoder) != 0 || decoder == nullptr) {
    *error = "openh264 could not create a decoder";
    return nullptr;
  }
  SDecodingParam param;
  std::memset(&param, 0, sizeof(param));
  param.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
  // No concealment: a damaged frame is reported as such, not drawn as a guess.
  param.eEcActiveIdc = ERROR_CON_DISABLE;
  if (decoder->Initialize(&param) != 0) {
    WelsDestroyDecoder(decoder);
    *error = "openh264 could not initialise a decoder";
    return nullptr;
  }
  // openh264 logs to stderr at WARNING by default; corrupt input is reported through Decode.
  int level = WELS_LOG_QUIET;
  decoder->SetOption(DECODER_OPTION_TRACE_LEVEL, &level);
  return std::make_unique<H264Decoder>(decoder);
}

}  // namespace screencap
