/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CLAP_MEDIA_ERROR (clap_media_error_quark ())

/* Why a file cannot be used as an input; each one has its own message. */
typedef enum {
  CLAP_MEDIA_ERROR_NOT_FOUND,
  CLAP_MEDIA_ERROR_EMPTY,
  CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE,
  CLAP_MEDIA_ERROR_CORRUPT,
  CLAP_MEDIA_ERROR_TOO_LARGE,      /* bytes */
  CLAP_MEDIA_ERROR_TOO_SMALL,      /* pixels */
  CLAP_MEDIA_ERROR_TOO_BIG,        /* pixels */
  CLAP_MEDIA_ERROR_BAD_ASPECT,
  CLAP_MEDIA_ERROR_TOO_SHORT,
  CLAP_MEDIA_ERROR_TOO_LONG,
  CLAP_MEDIA_ERROR_WRONG_KIND,     /* a video where an image is wanted, or the reverse */
  CLAP_MEDIA_ERROR_IO,
} ClapMediaError;

typedef enum {
  CLAP_MEDIA_UNKNOWN,
  CLAP_MEDIA_PNG,
  CLAP_MEDIA_JPEG,
  CLAP_MEDIA_MP4,
  CLAP_MEDIA_MOV,
} ClapMediaType;

typedef struct {
  ClapMediaType type;
  guint64       size;     /* bytes */
  guint         width;    /* pixels; 0 when unknown */
  guint         height;
  double        duration; /* seconds, videos only */
} ClapMediaInfo;

GQuark      clap_media_error_quark       (void);

gboolean    clap_media_probe_stream      (GInputStream   *stream,
                                          guint64         size,
                                          ClapMediaInfo  *info,
                                          GError        **error);
gboolean    clap_media_probe_file        (GFile          *file,
                                          ClapMediaInfo  *info,
                                          GCancellable   *cancellable,
                                          GError        **error);
gboolean    clap_media_is_image          (const ClapMediaInfo *info);
gboolean    clap_media_is_video          (const ClapMediaInfo *info);
const char *clap_media_get_content_type  (const ClapMediaInfo *info);
gboolean    clap_media_check_image       (const ClapMediaInfo *info,
                                          GError             **error);
gboolean    clap_media_check_video       (const ClapMediaInfo *info,
                                          double               max_seconds,
                                          GError             **error);
char       *clap_media_describe          (const ClapMediaInfo *info);

G_END_DECLS
