/*
 * The audio half of the C shim (see shim.c for why a shim): libavcodec's audio decoders and encoders
 * (aac, opus/libopus) behind plain C types. Sample conversion (planar float to interleaved S16/F32, the
 * encoder's FIFO of whole frames) is decided in Rust (audio.rs); here only what needs FFmpeg's structs:
 *  - the channel layout is FFmpeg's default order for the channel count (AVChannelLayout, FFmpeg 5.1+);
 *  - encoder timestamps are in samples (time base 1/rate), so packet pts are exact sample counts;
 *  - an encoder's sample format is the first of float planar, float, s16 it offers (aac: fltp; libopus: flt).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/samplefmt.h>

/* Sample formats Rust converts from/to (planar or not is reported apart). */
#define G2G_SF_OTHER -1
#define G2G_SF_S16 0
#define G2G_SF_F32 1

typedef struct G2gAudio {
  AVCodecContext *ctx;
  AVPacket *pkt;
  AVFrame *frame;
} G2gAudio;

typedef struct G2gAudioInfo {
  int rate, channels, samples;
  int format; /* G2G_SF_* */
  int planar;
  const char *format_name;
  uint8_t *const *planes; /* extended_data: one plane per channel when planar, else one */
} G2gAudioInfo;

typedef struct G2gAudioEncInfo {
  int frame_size;      /* samples per frame the encoder takes (0: any) */
  int initial_padding; /* encoder delay (priming) in samples */
  int format, planar;  /* what g2g_aenc_send takes */
  int small_last;      /* the last frame may be short */
  const uint8_t *extradata;
  int extradata_size;
} G2gAudioEncInfo;

typedef struct G2gAudioPacket {
  const uint8_t *data;
  int size;
  int64_t pts, duration; /* samples */
} G2gAudioPacket;

static void aset_err(char *err, int errlen, const char *what, int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  if (!err || errlen <= 0) return;
  if (code) {
    av_strerror(code, buf, sizeof buf);
    snprintf(err, (size_t)errlen, "%s: %s", what, buf);
  } else {
    snprintf(err, (size_t)errlen, "%s", what);
  }
}

static int sf_of(enum AVSampleFormat f, int *planar) {
  *planar = av_sample_fmt_is_planar(f);
  switch (av_get_packed_sample_fmt(f)) {
  case AV_SAMPLE_FMT_S16: return G2G_SF_S16;
  case AV_SAMPLE_FMT_FLT: return G2G_SF_F32;
  default: return G2G_SF_OTHER;
  }
}

void g2g_audio_close(G2gAudio *a) {
  if (!a) return;
  avcodec_free_context(&a->ctx);
  av_packet_free(&a->pkt);
  av_frame_free(&a->frame);
  free(a);
}

static G2gAudio *audio_alloc(const AVCodec *codec) {
  G2gAudio *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->ctx = avcodec_alloc_context3(codec);
  a->pkt = av_packet_alloc();
  a->frame = av_frame_alloc();
  if (!a->ctx || !a->pkt || !a->frame) {
    g2g_audio_close(a);
    return NULL;
  }
  return a;
}

/* rate/channels <= 0: from the extradata or the stream (ADTS headers carry both). */
int g2g_adec_open(G2gAudio **out, const char *name, const uint8_t *extra, int extra_size, int rate, int channels, char *err, int errlen) {
  *out = NULL;
  const AVCodec *codec = avcodec_find_decoder_by_name(name);
  if (!codec) { aset_err(err, errlen, "decoder not in this libavcodec", 0); return AVERROR_DECODER_NOT_FOUND; }
  G2gAudio *a = audio_alloc(codec);
  if (!a) return AVERROR(ENOMEM);
  AVCodecContext *c = a->ctx;
  if (rate > 0) c->sample_rate = rate;
  if (channels > 0) av_channel_layout_default(&c->ch_layout, channels);
  c->pkt_timebase = (AVRational){1, rate > 0 ? rate : 48000};
  if (extra && extra_size > 0) {
    c->extradata = av_mallocz((size_t)extra_size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!c->extradata) { g2g_audio_close(a); return AVERROR(ENOMEM); }
    memcpy(c->extradata, extra, (size_t)extra_size);
    c->extradata_size = extra_size;
  }
  int r = avcodec_open2(c, codec, NULL);
  if (r < 0) { aset_err(err, errlen, "avcodec_open2", r); g2g_audio_close(a); return r; }
  *out = a;
  return 0;
}

/* One packet (copied into a padded packet: libavcodec's bitstream readers over-read); NULL: drain. */
int g2g_adec_send(G2gAudio *a, const uint8_t *data, int size) {
  if (!data) return avcodec_send_packet(a->ctx, NULL);
  av_packet_unref(a->pkt);
  int r = av_new_packet(a->pkt, size);
  if (r < 0) return r;
  memcpy(a->pkt->data, data, (size_t)size);
  r = avcodec_send_packet(a->ctx, a->pkt);
  av_packet_unref(a->pkt);
  return r;
}

/* The next decoded frame, valid until the next call on `a`. */
int g2g_adec_receive(G2gAudio *a, G2gAudioInfo *info) {
  av_frame_unref(a->frame);
  int r = avcodec_receive_frame(a->ctx, a->frame);
  if (r < 0) return r;
  AVFrame *f = a->frame;
  info->rate = f->sample_rate;
  info->channels = f->ch_layout.nb_channels;
  info->samples = f->nb_samples;
  info->format = sf_of(f->format, &info->planar);
  info->format_name = av_get_sample_fmt_name(f->format);
  info->planes = f->extended_data;
  return 0;
}

void g2g_audio_flush(G2gAudio *a) { avcodec_flush_buffers(a->ctx); }

int g2g_aenc_open(G2gAudio **out, const char *name, int rate, int channels, int64_t bitrate, G2gAudioEncInfo *info, char *err, int errlen) {
  *out = NULL;
  const AVCodec *codec = avcodec_find_encoder_by_name(name);
  if (!codec) { aset_err(err, errlen, "encoder not in this libavcodec", 0); return AVERROR_ENCODER_NOT_FOUND; }
  G2gAudio *a = audio_alloc(codec);
  if (!a) return AVERROR(ENOMEM);
  AVCodecContext *c = a->ctx;
  enum AVSampleFormat pick = AV_SAMPLE_FMT_NONE;
  static const enum AVSampleFormat PREF[] = {AV_SAMPLE_FMT_FLTP, AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_S16};
  for (int k = 0; k < 3 && pick == AV_SAMPLE_FMT_NONE; k++)
    for (const enum AVSampleFormat *p = codec->sample_fmts; p && *p != AV_SAMPLE_FMT_NONE; p++)
      if (*p == PREF[k]) { pick = *p; break; }
  if (pick == AV_SAMPLE_FMT_NONE) { aset_err(err, errlen, "encoder takes none of fltp, flt, s16", 0); g2g_audio_close(a); return AVERROR(EINVAL); }
  c->sample_fmt = pick;
  c->sample_rate = rate;
  av_channel_layout_default(&c->ch_layout, channels);
  c->time_base = (AVRational){1, rate};
  if (bitrate > 0) c->bit_rate = bitrate;
  c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  int r = avcodec_open2(c, codec, NULL);
  if (r < 0) { aset_err(err, errlen, "avcodec_open2", r); g2g_audio_close(a); return r; }
  info->frame_size = c->frame_size;
  info->initial_padding = c->initial_padding;
  info->format = sf_of(pick, &info->planar);
  info->small_last = (codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME) != 0;
  info->extradata = c->extradata;
  info->extradata_size = c->extradata_size;
  *out = a;
  return 0;
}

/*
 * One frame of `samples` samples in the format g2g_aenc_open reported (planar: plane k at
 * data + k * samples * bytes-per-sample), copied into the frame; pts in samples. NULL: drain.
 */
int g2g_aenc_send(G2gAudio *a, const uint8_t *data, int samples, int64_t pts) {
  if (!data) return avcodec_send_frame(a->ctx, NULL);
  AVFrame *f = a->frame;
  av_frame_unref(f);
  f->format = a->ctx->sample_fmt;
  f->nb_samples = samples;
  f->sample_rate = a->ctx->sample_rate;
  int r = av_channel_layout_copy(&f->ch_layout, &a->ctx->ch_layout);
  if (r < 0) return r;
  r = av_frame_get_buffer(f, 0);
  if (r < 0) return r;
  int planar = av_sample_fmt_is_planar(f->format);
  int ch = f->ch_layout.nb_channels;
  size_t bps = (size_t)av_get_bytes_per_sample(f->format);
  if (planar) {
    for (int k = 0; k < ch; k++) memcpy(f->extended_data[k], data + (size_t)k * samples * bps, (size_t)samples * bps);
  } else {
    memcpy(f->data[0], data, (size_t)samples * bps * ch);
  }
  f->pts = pts;
  r = avcodec_send_frame(a->ctx, f);
  av_frame_unref(f);
  return r;
}

int g2g_aenc_receive(G2gAudio *a, G2gAudioPacket *info) {
  av_packet_unref(a->pkt);
  int r = avcodec_receive_packet(a->ctx, a->pkt);
  if (r < 0) return r;
  info->data = a->pkt->data;
  info->size = a->pkt->size;
  info->pts = a->pkt->pts;
  info->duration = a->pkt->duration;
  return 0;
}
