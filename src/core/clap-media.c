/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-media"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "clap-catalog.h"
#include "clap-media.h"

/* Reads just enough of an image or a video to know its kind, pixel size and
 * length, so that a file the provider would refuse is refused here, before it
 * is uploaded and before any money is spent. Only headers are read: a 100 MB
 * video costs a few small reads, and no decoder runs.
 */

G_DEFINE_QUARK (clap-media-error-quark, clap_media_error)

#define MAX_BOX_DEPTH 8

typedef struct {
  GInputStream *stream;
  guint64       size;
  guint64       pos;
  GError      **error;
} Reader;

static gboolean
corrupt (Reader     *r,
         const char *what)
{
  if (r->error != NULL && *r->error == NULL)
    g_set_error (r->error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_CORRUPT,
                 _("The file looks damaged: %s."), what);
  return FALSE;
}

static gboolean
reader_seek (Reader  *r,
             guint64  pos)
{
  GError *local_error = NULL;

  if (pos > r->size)
    return corrupt (r, _("a part of it points past its end"));

  if (pos == r->pos)
    return TRUE;

  if (G_IS_SEEKABLE (r->stream) && g_seekable_can_seek (G_SEEKABLE (r->stream)))
    {
      if (!g_seekable_seek (G_SEEKABLE (r->stream), (goffset) pos, G_SEEK_SET, NULL, &local_error))
        {
          g_propagate_error (r->error, local_error);
          return FALSE;
        }
    }
  else if (pos > r->pos)
    {
      guint64 left = pos - r->pos;

      while (left > 0)
        {
          gssize n = g_input_stream_skip (r->stream, MIN (left, G_MAXSSIZE), NULL, &local_error);
          if (n <= 0)
            {
              if (local_error != NULL)
                g_propagate_error (r->error, local_error);
              else
                corrupt (r, _("it ends too early"));
              return FALSE;
            }
          left -= (guint64) n;
        }
    }
  else
    {
      return corrupt (r, _("it cannot be read twice"));
    }

  r->pos = pos;
  return TRUE;
}

static gboolean
reader_read (Reader *r,
             void   *buffer,
             gsize   len)
{
  gsize n_read = 0;
  GError *local_error = NULL;

  if (len > r->size - MIN (r->pos, r->size))
    return corrupt (r, _("it ends too early"));

  if (!g_input_stream_read_all (r->stream, buffer, len, &n_read, NULL, &local_error))
    {
      g_propagate_error (r->error, local_error);
      return FALSE;
    }

  r->pos += n_read;
  if (n_read != len)
    return corrupt (r, _("it ends too early"));

  return TRUE;
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint64
be64 (const guint8 *p)
{
  return ((guint64) be32 (p) << 32) | be32 (p + 4);
}

static guint16
be16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static gboolean
probe_png (Reader        *r,
           ClapMediaInfo *info)
{
  guint8 ihdr[16];

  /* signature (8) is already read; then length (4) "IHDR" width height */
  if (!reader_read (r, ihdr, sizeof ihdr))
    return FALSE;

  if (memcmp (ihdr + 4, "IHDR", 4) != 0)
    return corrupt (r, _("the PNG header is missing"));

  info->width = be32 (ihdr + 8);
  info->height = be32 (ihdr + 12);
  if (info->width == 0 || info->height == 0 || info->width > G_MAXINT32 || info->height > G_MAXINT32)
    return corrupt (r, _("the PNG header gives an impossible size"));

  return TRUE;
}

static gboolean
probe_jpeg (Reader        *r,
            ClapMediaInfo *info)
{
  /* The SOI marker is already read; walk the segments to the frame header. */
  for (;;)
    {
      guint8 marker[2];
      guint8 len_bytes[2];
      guint16 len;

      if (!reader_read (r, marker, 1))
        return FALSE;
      if (marker[0] != 0xff)
        return corrupt (r, _("the JPEG markers are out of order"));

      /* Any number of 0xff fill bytes may precede a marker. */
      do
        {
          if (!reader_read (r, marker + 1, 1))
            return FALSE;
        }
      while (marker[1] == 0xff);

      if (marker[1] == 0xd9 || marker[1] == 0xda)
        return corrupt (r, _("the JPEG has no frame header"));

      if (marker[1] == 0x01 || (marker[1] >= 0xd0 && marker[1] <= 0xd7))
        continue;

      if (!reader_read (r, len_bytes, 2))
        return FALSE;
      len = be16 (len_bytes);
      if (len < 2)
        return corrupt (r, _("a JPEG segment has a bad length"));

      if (marker[1] >= 0xc0 && marker[1] <= 0xcf &&
          marker[1] != 0xc4 && marker[1] != 0xc8 && marker[1] != 0xcc)
        {
          guint8 sof[5];

          if (len < 7 || !reader_read (r, sof, sizeof sof))
            return corrupt (r, _("the JPEG frame header is short"));

          info->height = be16 (sof + 1);
          info->width = be16 (sof + 3);
          if (info->width == 0 || info->height == 0)
            return corrupt (r, _("the JPEG frame header gives an impossible size"));
          return TRUE;
        }

      if (!reader_seek (r, r->pos + len - 2))
        return FALSE;
    }
}

typedef struct {
  guint64  start;     /* of the payload */
  guint64  end;
  char     type[5];
} Box;

static gboolean
read_box (Reader  *r,
          guint64  limit,
          Box     *box)
{
  guint8 head[8];
  guint64 box_start = r->pos;
  guint64 size;

  if (!reader_read (r, head, sizeof head))
    return FALSE;

  memcpy (box->type, head + 4, 4);
  box->type[4] = '\0';
  size = be32 (head);

  if (size == 1)
    {
      guint8 large[8];

      if (!reader_read (r, large, sizeof large))
        return FALSE;
      size = be64 (large);
      if (size < 16)
        return corrupt (r, _("a box of the video has a bad size"));
    }
  else if (size == 0)
    {
      size = limit - box_start;
    }
  else if (size < 8)
    {
      return corrupt (r, _("a box of the video has a bad size"));
    }

  if (size > limit - box_start)
    return corrupt (r, _("a box of the video runs past its end"));

  box->start = r->pos;
  box->end = box_start + size;
  return TRUE;
}

typedef struct {
  gboolean has_duration;
  gboolean has_video;
  double   duration;
  guint    width;
  guint    height;
} MovieInfo;

static gboolean
parse_mvhd (Reader    *r,
            Box       *box,
            MovieInfo *movie)
{
  guint8 buf[32];
  guint32 timescale;
  guint64 duration;

  if (box->end - box->start < 20 || !reader_read (r, buf, 1))
    return corrupt (r, _("the movie header is short"));

  if (buf[0] == 1)
    {
      if (box->end - box->start < 32 || !reader_read (r, buf + 1, 31))
        return corrupt (r, _("the movie header is short"));
      timescale = be32 (buf + 20);
      duration = be64 (buf + 24);
    }
  else
    {
      if (!reader_read (r, buf + 1, 19))
        return FALSE;
      timescale = be32 (buf + 12);
      duration = be32 (buf + 16);
    }

  if (timescale == 0)
    return corrupt (r, _("the movie header has no time scale"));

  movie->duration = (double) duration / timescale;
  movie->has_duration = TRUE;
  return TRUE;
}

static gboolean
parse_tkhd (Reader *r,
            Box    *box,
            guint  *width,
            guint  *height)
{
  guint8 buf[96];
  gsize need;
  guint off;

  if (!reader_read (r, buf, 1))
    return FALSE;

  /* version, flags, times, ids, duration, layer, volume, matrix, then width and height */
  need = buf[0] == 1 ? 96 : 84;
  off = buf[0] == 1 ? 88 : 76;
  if (box->end - box->start < need || !reader_read (r, buf + 1, need - 1))
    return corrupt (r, _("a track header is short"));

  /* 16.16 fixed point */
  *width = be32 (buf + off) >> 16;
  *height = be32 (buf + off + 4) >> 16;
  return TRUE;
}

static gboolean
walk_boxes (Reader    *r,
            guint64    start,
            guint64    end,
            guint      depth,
            MovieInfo *movie,
            gboolean  *is_video_track,
            guint     *track_width,
            guint     *track_height)
{
  guint64 pos = start;

  if (depth > MAX_BOX_DEPTH)
    return corrupt (r, _("its boxes are nested too deeply"));

  while (pos + 8 <= end)
    {
      Box box;

      if (!reader_seek (r, pos) || !read_box (r, end, &box))
        return FALSE;

      if (g_str_equal (box.type, "mvhd"))
        {
          if (!parse_mvhd (r, &box, movie))
            return FALSE;
        }
      else if (g_str_equal (box.type, "trak"))
        {
          gboolean is_video = FALSE;
          guint w = 0, h = 0;

          if (!walk_boxes (r, box.start, box.end, depth + 1, movie, &is_video, &w, &h))
            return FALSE;

          if (is_video && !movie->has_video)
            {
              movie->has_video = TRUE;
              movie->width = w;
              movie->height = h;
            }
        }
      else if (g_str_equal (box.type, "tkhd") && track_width != NULL)
        {
          if (!parse_tkhd (r, &box, track_width, track_height))
            return FALSE;
        }
      else if (g_str_equal (box.type, "hdlr") && is_video_track != NULL)
        {
          guint8 buf[12];

          if (box.end - box.start < 12 || !reader_read (r, buf, sizeof buf))
            return corrupt (r, _("a handler box is short"));
          if (memcmp (buf + 8, "vide", 4) == 0)
            *is_video_track = TRUE;
        }
      else if (g_str_equal (box.type, "moov") || g_str_equal (box.type, "mdia"))
        {
          if (!walk_boxes (r, box.start, box.end, depth + 1, movie,
                           is_video_track, track_width, track_height))
            return FALSE;
        }

      pos = box.end;
    }

  return TRUE;
}

static gboolean
probe_isobmff (Reader        *r,
               const guint8  *head,
               ClapMediaInfo *info)
{
  MovieInfo movie = { 0 };

  /* QuickTime files may lack "ftyp"; its brand "qt  " marks a MOV. */
  if (memcmp (head + 4, "ftyp", 4) == 0 && memcmp (head + 8, "qt  ", 4) == 0)
    info->type = CLAP_MEDIA_MOV;
  else if (memcmp (head + 4, "ftyp", 4) == 0)
    info->type = CLAP_MEDIA_MP4;
  else
    info->type = CLAP_MEDIA_MOV;

  if (!walk_boxes (r, 0, r->size, 0, &movie, NULL, NULL, NULL))
    return FALSE;

  if (!movie.has_duration)
    return corrupt (r, _("it has no movie header"));
  if (!movie.has_video)
    return corrupt (r, _("it has no video track"));

  info->duration = movie.duration;
  info->width = movie.width;
  info->height = movie.height;
  return TRUE;
}

static gboolean
looks_like_isobmff (const guint8 *head)
{
  static const char *const first_boxes[] = { "ftyp", "moov", "mdat", "wide", "free", "skip" };

  for (guint i = 0; i < G_N_ELEMENTS (first_boxes); i++)
    if (memcmp (head + 4, first_boxes[i], 4) == 0)
      return TRUE;
  return FALSE;
}

/* Fills @info from the first bytes of @stream, which holds @size bytes. */
gboolean
clap_media_probe_stream (GInputStream   *stream,
                         guint64         size,
                         ClapMediaInfo  *info,
                         GError        **error)
{
  static const guint8 png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  Reader r = { stream, size, 0, error };
  guint8 head[12];
  gsize n_head;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  memset (info, 0, sizeof *info);
  info->size = size;

  if (size == 0)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_EMPTY, _("The file is empty."));
      return FALSE;
    }

  n_head = (gsize) MIN (size, sizeof head);
  if (!reader_read (&r, head, n_head))
    return FALSE;

  if (n_head >= 8 && memcmp (head, png_sig, 8) == 0)
    {
      info->type = CLAP_MEDIA_PNG;
      if (!reader_seek (&r, 8))
        return FALSE;
      return probe_png (&r, info);
    }

  if (n_head >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff)
    {
      info->type = CLAP_MEDIA_JPEG;
      if (!reader_seek (&r, 2))
        return FALSE;
      return probe_jpeg (&r, info);
    }

  if (n_head == sizeof head && looks_like_isobmff (head))
    return probe_isobmff (&r, head, info);

  g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE,
               _("The file is not a PNG or JPEG image, nor an MP4 or MOV video."));
  return FALSE;
}
/* Blocking: call it from a worker thread in the application. */
gboolean
clap_media_probe_file (GFile          *file,
                       ClapMediaInfo  *info,
                       GCancellable   *cancellable,
                       GError        **error)
{
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GFileInfo) file_info = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  name = g_file_get_parse_name (file);

  file_info = g_file_query_info (file,
                                 G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                 G_FILE_QUERY_INFO_NONE, cancellable, &local_error);
  if (file_info == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_NOT_FOUND,
                     _("“%s” does not exist any more."), name);
      else
        g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_IO,
                     _("“%s” cannot be read: %s"), name, local_error->message);
      return FALSE;
    }

  /* Links are followed: one still seen as a link points at nothing (its
   * file was deleted or its disk unplugged after it was chosen). */
  if (g_file_info_get_file_type (file_info) == G_FILE_TYPE_SYMBOLIC_LINK)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_NOT_FOUND,
                   _("“%s” does not exist any more (it is a link to a missing file)."), name);
      return FALSE;
    }

  if (g_file_info_get_file_type (file_info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE,
                   _("“%s” is not a file."), name);
      return FALSE;
    }

  stream = g_file_read (file, cancellable, &local_error);
  if (stream == NULL)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_IO,
                   _("“%s” cannot be read: %s"), name, local_error->message);
      return FALSE;
    }

  return clap_media_probe_stream (G_INPUT_STREAM (stream),
                                  (guint64) g_file_info_get_size (file_info),
                                  info, error);
}

gboolean
clap_media_is_image (const ClapMediaInfo *info)
{
  return info->type == CLAP_MEDIA_PNG || info->type == CLAP_MEDIA_JPEG;
}

gboolean
clap_media_is_video (const ClapMediaInfo *info)
{
  return info->type == CLAP_MEDIA_MP4 || info->type == CLAP_MEDIA_MOV;
}

/* The Content-Type the upload must declare and repeat on its PUT. */
const char *
clap_media_get_content_type (const ClapMediaInfo *info)
{
  switch (info->type)
    {
    case CLAP_MEDIA_PNG:
      return "image/png";
    case CLAP_MEDIA_JPEG:
      return "image/jpeg";
    case CLAP_MEDIA_MP4:
      return "video/mp4";
    case CLAP_MEDIA_MOV:
      return "video/quicktime";
    case CLAP_MEDIA_UNKNOWN:
    default:
      return "application/octet-stream";
    }
}

static char *
format_megabytes (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_DEFAULT);
}

/* Kling's input rules for images: JPEG or PNG, at most 10 MB, at least 300 px
 * on each side, aspect ratio between 1:2.5 and 2.5:1. */
gboolean
clap_media_check_image (const ClapMediaInfo *info,
                        GError             **error)
{
  double aspect;

  if (clap_media_is_video (info))
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_WRONG_KIND,
                   _("This is a video; an image (PNG or JPEG) is needed here."));
      return FALSE;
    }

  if (!clap_media_is_image (info))
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE,
                   _("Only PNG and JPEG images are accepted."));
      return FALSE;
    }

  if (info->size > CLAP_IMAGE_MAX_BYTES)
    {
      g_autofree char *size = format_megabytes (info->size);
      g_autofree char *max = format_megabytes (CLAP_IMAGE_MAX_BYTES);
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_LARGE,
                   _("The image is %s; the limit is %s."), size, max);
      return FALSE;
    }

  if (info->width < CLAP_IMAGE_MIN_SIDE || info->height < CLAP_IMAGE_MIN_SIDE)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_SMALL,
                   _("The image is %u × %u pixels; each side must be at least %u."),
                   info->width, info->height, CLAP_IMAGE_MIN_SIDE);
      return FALSE;
    }

  aspect = (double) info->width / info->height;
  if (aspect > CLAP_IMAGE_MAX_ASPECT || aspect < 1.0 / CLAP_IMAGE_MAX_ASPECT)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_BAD_ASPECT,
                   _("The image is %u × %u pixels, too narrow; "
                     "its aspect ratio must be between 1:2.5 and 2.5:1."),
                   info->width, info->height);
      return FALSE;
    }

  return TRUE;
}

/* Kling's rules for motion videos: MP4 or MOV, 3 s to @max_seconds, at most
 * 100 MB, sides between 340 and 3850 px. */
gboolean
clap_media_check_video (const ClapMediaInfo *info,
                        double               max_seconds,
                        GError             **error)
{
  if (clap_media_is_image (info))
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_WRONG_KIND,
                   _("This is an image; a video (MP4 or MOV) is needed here."));
      return FALSE;
    }

  if (!clap_media_is_video (info))
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE,
                   _("Only MP4 and MOV videos are accepted."));
      return FALSE;
    }

  if (info->size > CLAP_VIDEO_MAX_BYTES)
    {
      g_autofree char *size = format_megabytes (info->size);
      g_autofree char *max = format_megabytes (CLAP_VIDEO_MAX_BYTES);
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_LARGE,
                   _("The video is %s; the limit is %s."), size, max);
      return FALSE;
    }

  if (info->duration < CLAP_VIDEO_MIN_SECONDS)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_SHORT,
                   _("The video lasts %.1f s; it must last at least %.0f s."),
                   info->duration, CLAP_VIDEO_MIN_SECONDS);
      return FALSE;
    }

  if (info->duration > max_seconds + 0.05)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_LONG,
                   _("The video lasts %.1f s; at most %.0f s are allowed here."),
                   info->duration, max_seconds);
      return FALSE;
    }

  if (MIN (info->width, info->height) < CLAP_VIDEO_MIN_SIDE)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_SMALL,
                   _("The video is %u × %u pixels; each side must be at least %u."),
                   info->width, info->height, CLAP_VIDEO_MIN_SIDE);
      return FALSE;
    }

  if (MAX (info->width, info->height) > CLAP_VIDEO_MAX_SIDE)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_BIG,
                   _("The video is %u × %u pixels; no side may exceed %u."),
                   info->width, info->height, CLAP_VIDEO_MAX_SIDE);
      return FALSE;
    }

  return TRUE;
}

/* "1.2 MB · 1920 × 1080 · 7.5 s", for the inputs' captions. */
char *
clap_media_describe (const ClapMediaInfo *info)
{
  g_autofree char *size = format_megabytes (info->size);

  if (clap_media_is_video (info))
    return g_strdup_printf (_("%s · %u × %u · %.1f s"), size, info->width, info->height,
                            info->duration);

  return g_strdup_printf (_("%s · %u × %u"), size, info->width, info->height);
}
