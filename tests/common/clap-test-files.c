/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "clap-test-files.h"

static void
put32 (GByteArray *a,
       guint32     v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append (a, b, 4);
}

static void
put16 (GByteArray *a,
       guint16     v)
{
  guint8 b[2] = { v >> 8, v };
  g_byte_array_append (a, b, 2);
}

static void
put_zeros (GByteArray *a,
           guint       n)
{
  for (guint i = 0; i < n; i++)
    g_byte_array_append (a, (const guint8 *) "", 1);
}

GBytes *
clap_test_make_png (guint32 w,
                    guint32 h,
                    gsize   padding)
{
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  GByteArray *a = g_byte_array_new ();

  g_byte_array_append (a, sig, 8);
  put32 (a, 13);
  g_byte_array_append (a, (const guint8 *) "IHDR", 4);
  put32 (a, w);
  put32 (a, h);
  put_zeros (a, 5 + 4 + 64 + padding);
  return g_byte_array_free_to_bytes (a);
}

GBytes *
clap_test_make_jpeg (guint16 w,
                     guint16 h)
{
  GByteArray *a = g_byte_array_new ();
  static const guint8 soi[2] = { 0xff, 0xd8 };
  static const guint8 app0[2] = { 0xff, 0xe0 };
  static const guint8 fill[3] = { 0xff, 0xff, 0xc2 }; /* fill bytes, then progressive SOF2 */

  g_byte_array_append (a, soi, 2);
  g_byte_array_append (a, app0, 2);
  put16 (a, 16);
  g_byte_array_append (a, (const guint8 *) "JFIF", 5);
  put_zeros (a, 9);
  g_byte_array_append (a, fill, 3);
  put16 (a, 17);
  put_zeros (a, 1);
  put16 (a, h);
  put16 (a, w);
  put_zeros (a, 40);
  return g_byte_array_free_to_bytes (a);
}

static void
box_begin (GByteArray *a,
           const char *type,
           guint      *start)
{
  *start = a->len;
  put32 (a, 0);
  g_byte_array_append (a, (const guint8 *) type, 4);
}

static void
box_end (GByteArray *a,
         guint       start)
{
  guint32 size = a->len - start;
  guint8 *p = a->data + start;

  p[0] = size >> 24; p[1] = size >> 16; p[2] = size >> 8; p[3] = size;
}

/* ftyp, a large mdat first when @mdat_first (not "fast start"), then moov
 * with mvhd and an audio and a video track. */
GBytes *
clap_test_make_mp4 (const char *brand,
                    guint32     timescale,
                    guint32     duration,
                    guint32     w,
                    guint32     h,
                    gboolean    mdat_first,
                    gboolean    version1)
{
  GByteArray *a = g_byte_array_new ();
  guint ftyp, moov, mvhd, trak, tkhd, mdia, hdlr;
  const char *handlers[] = { "soun", "vide" };

  box_begin (a, "ftyp", &ftyp);
  g_byte_array_append (a, (const guint8 *) brand, 4);
  put32 (a, 0);
  g_byte_array_append (a, (const guint8 *) "isom", 4);
  box_end (a, ftyp);

  if (mdat_first)
    {
      /* a 64-bit sized mdat */
      put32 (a, 1);
      g_byte_array_append (a, (const guint8 *) "mdat", 4);
      put32 (a, 0);
      put32 (a, 16 + 5000);
      put_zeros (a, 5000);
    }

  box_begin (a, "moov", &moov);
  box_begin (a, "mvhd", &mvhd);
  if (version1)
    {
      put32 (a, 0x01000000);
      put_zeros (a, 16);
      put32 (a, timescale);
      put32 (a, 0);
      put32 (a, duration);
    }
  else
    {
      put32 (a, 0);
      put_zeros (a, 8);
      put32 (a, timescale);
      put32 (a, duration);
    }
  put_zeros (a, 80);
  box_end (a, mvhd);

  for (guint t = 0; t < 2; t++)
    {
      box_begin (a, "trak", &trak);
      box_begin (a, "tkhd", &tkhd);
      if (version1)
        {
          put32 (a, 0x01000003);
          put_zeros (a, 32);
        }
      else
        {
          put32 (a, 3);
          put_zeros (a, 20);
        }
      put_zeros (a, 8 + 8 + 36);
      put32 (a, t == 1 ? w << 16 : 0);
      put32 (a, t == 1 ? h << 16 : 0);
      box_end (a, tkhd);
      box_begin (a, "mdia", &mdia);
      box_begin (a, "hdlr", &hdlr);
      put32 (a, 0);
      put32 (a, 0);
      g_byte_array_append (a, (const guint8 *) handlers[t], 4);
      put_zeros (a, 12);
      box_end (a, hdlr);
      box_end (a, mdia);
      box_end (a, trak);
    }
  box_end (a, moov);

  return g_byte_array_free_to_bytes (a);
}

static void
put_full_box_header (GByteArray *a,
                     guint8      version,
                     guint32     flags)
{
  put32 (a, ((guint32) version << 24) | (flags & 0xffffff));
}

/* ftyp, moov (mvhd, then per track tkhd and mdia with mdhd, hdlr and
 * minf/stbl/stts, then mvex/trex when fragmented), then @n_fragments
 * moof boxes each with a traf/tfhd/trun per track, and a small mdat. The
 * headers and the samples can disagree: that is the point. */
GBytes *
clap_test_make_mp4_tracks (guint32              movie_timescale,
                           guint32              movie_duration,
                           const ClapTestTrack *tracks,
                           guint                n_tracks,
                           guint                n_fragments)
{
  GByteArray *a = g_byte_array_new ();
  guint ftyp, moov, mvhd, mvex, mdat;

  box_begin (a, "ftyp", &ftyp);
  g_byte_array_append (a, (const guint8 *) "isom", 4);
  put32 (a, 0);
  g_byte_array_append (a, (const guint8 *) "iso6", 4);
  box_end (a, ftyp);

  box_begin (a, "moov", &moov);
  box_begin (a, "mvhd", &mvhd);
  put_full_box_header (a, 0, 0);
  put_zeros (a, 8);
  put32 (a, movie_timescale);
  put32 (a, movie_duration);
  put_zeros (a, 80);
  box_end (a, mvhd);

  for (guint t = 0; t < n_tracks; t++)
    {
      const ClapTestTrack *track = &tracks[t];
      guint trak, tkhd, mdia, mdhd, hdlr, minf, stbl, stts;
      guint64 tkhd_duration = 0;

      if (track->timescale != 0)
        tkhd_duration = (guint64) track->header_duration * movie_timescale / track->timescale;

      box_begin (a, "trak", &trak);
      box_begin (a, "tkhd", &tkhd);
      put_full_box_header (a, 0, 3);
      put_zeros (a, 8);
      put32 (a, t + 1);                      /* track_ID */
      put32 (a, 0);
      put32 (a, (guint32) MIN (tkhd_duration, G_MAXUINT32));
      put_zeros (a, 8 + 8 + 36);
      put32 (a, track->width << 16);
      put32 (a, track->height << 16);
      box_end (a, tkhd);

      box_begin (a, "mdia", &mdia);
      if (track->timescale != 0)
        {
          box_begin (a, "mdhd", &mdhd);
          put_full_box_header (a, 0, 0);
          put_zeros (a, 8);
          put32 (a, track->timescale);
          put32 (a, track->header_duration);
          put_zeros (a, 4);
          box_end (a, mdhd);
        }
      box_begin (a, "hdlr", &hdlr);
      put32 (a, 0);
      put32 (a, 0);
      g_byte_array_append (a, (const guint8 *) track->handler, 4);
      put_zeros (a, 12);
      box_end (a, hdlr);

      box_begin (a, "minf", &minf);
      if (!track->no_sample_table)
        {
          box_begin (a, "stbl", &stbl);
          box_begin (a, "stts", &stts);
          put_full_box_header (a, 0, 0);
          if (track->sample_count > 0)
            {
              put32 (a, 1);
              put32 (a, track->sample_count);
              put32 (a, track->sample_delta);
            }
          else
            {
              put32 (a, 0);
            }
          box_end (a, stts);
          box_end (a, stbl);
        }
      box_end (a, minf);
      box_end (a, mdia);
      box_end (a, trak);
    }

  if (n_fragments > 0)
    {
      box_begin (a, "mvex", &mvex);
      for (guint t = 0; t < n_tracks; t++)
        {
          guint trex;

          box_begin (a, "trex", &trex);
          put_full_box_header (a, 0, 0);
          put32 (a, t + 1);
          put32 (a, 1);
          put32 (a, tracks[t].trex_delta);
          put32 (a, 0);
          put32 (a, 0);
          box_end (a, trex);
        }
      box_end (a, mvex);
    }
  box_end (a, moov);

  for (guint f = 0; f < n_fragments; f++)
    {
      guint moof, mfhd;

      box_begin (a, "moof", &moof);
      box_begin (a, "mfhd", &mfhd);
      put_full_box_header (a, 0, 0);
      put32 (a, f + 1);
      box_end (a, mfhd);

      for (guint t = 0; t < n_tracks; t++)
        {
          const ClapTestTrack *track = &tracks[t];
          guint traf, tfhd, trun;
          guint32 trun_flags = 0x000001 | 0x000200;   /* data offset, sample sizes */

          if (track->fragment_samples == 0)
            continue;

          box_begin (a, "traf", &traf);
          box_begin (a, "tfhd", &tfhd);
          /* a sample description index before the default duration, to skip */
          put_full_box_header (a, 0, 0x020000 | 0x000002 | (track->tfhd_delta ? 0x000008 : 0));
          put32 (a, t + 1);
          put32 (a, 1);
          if (track->tfhd_delta)
            put32 (a, track->tfhd_delta);
          box_end (a, tfhd);

          if (track->fragment_delta != 0)
            trun_flags |= 0x000100;

          box_begin (a, "trun", &trun);
          put_full_box_header (a, 0, trun_flags);
          put32 (a, track->fragment_samples);
          put32 (a, 0);                               /* data offset */
          for (guint s = 0; s < track->fragment_samples; s++)
            {
              if (track->fragment_delta != 0)
                put32 (a, track->fragment_delta);
              put32 (a, 100);                         /* sample size */
            }
          box_end (a, trun);
          box_end (a, traf);
        }
      box_end (a, moof);

      box_begin (a, "mdat", &mdat);
      put_zeros (a, 64);
      box_end (a, mdat);
    }

  return g_byte_array_free_to_bytes (a);
}

/* Finds every box of @type below the containers a movie has, and gives
 * the offset of its payload (after the box header) to @patch. */
static void
patch_boxes (guint8      *data,
             gsize        start,
             gsize        end,
             const char  *type,
             void       (*patch) (guint8 *payload, gsize size, gpointer user_data),
             gpointer     user_data,
             guint       *count)
{
  static const char *const containers[] = { "moov", "trak", "mdia" };
  gsize pos = start;

  while (pos + 8 <= end)
    {
      gsize size = ((gsize) data[pos] << 24) | (data[pos + 1] << 16) | (data[pos + 2] << 8) |
                   data[pos + 3];
      gsize header = 8;

      if (size == 1)
        {
          size = 0;
          for (guint i = 0; i < 8; i++)
            size = (size << 8) | data[pos + 8 + i];
          header = 16;
        }
      else if (size == 0)
        {
          size = end - pos;
        }
      g_assert_cmpuint (size, >=, header);
      g_assert_cmpuint (size, <=, end - pos);

      if (memcmp (data + pos + 4, type, 4) == 0)
        {
          patch (data + pos + header, size - header, user_data);
          (*count)++;
        }

      for (guint i = 0; i < G_N_ELEMENTS (containers); i++)
        if (memcmp (data + pos + 4, containers[i], 4) == 0)
          patch_boxes (data, pos + header, pos + size, type, patch, user_data, count);

      pos += size;
    }
}

static void
set32 (guint8  *p,
       guint32  v)
{
  p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static guint32
get32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* mvhd and mdhd: version, flags, times, time scale, duration. */
static void
patch_timed_header (guint8   *payload,
                    gsize     size,
                    gpointer  user_data)
{
  double seconds = *(double *) user_data;
  gsize scale_at = payload[0] == 1 ? 20 : 12;
  guint32 timescale;

  g_assert_cmpuint (size, >=, scale_at + 8);
  timescale = get32 (payload + scale_at);

  if (payload[0] == 1)
    {
      guint64 units = (guint64) (seconds * timescale);

      set32 (payload + 24, units >> 32);
      set32 (payload + 28, (guint32) units);
    }
  else
    {
      set32 (payload + 16, (guint32) (seconds * timescale));
    }
}

typedef struct {
  double  seconds;
  guint32 movie_timescale;
} TkhdPatch;

/* tkhd: version, flags, times, track id, reserved, then the duration in
 * the movie's time scale. */
static void
patch_tkhd (guint8   *payload,
            gsize     size,
            gpointer  user_data)
{
  TkhdPatch *tkhd = user_data;
  guint64 units = (guint64) (tkhd->seconds * tkhd->movie_timescale);

  g_assert_cmpuint (size, >=, 36);
  if (payload[0] == 1)
    {
      set32 (payload + 28, units >> 32);
      set32 (payload + 32, (guint32) units);
    }
  else
    {
      set32 (payload + 20, (guint32) units);
    }
}

static void
read_movie_timescale (guint8   *payload,
                      gsize     size,
                      gpointer  user_data)
{
  *(guint32 *) user_data = get32 (payload + (payload[0] == 1 ? 20 : 12));
}

/* A real H.264 MP4 of @real_seconds (400 × 240, 5 fps, made with
 * GStreamer) whose movie, track and media headers all claim
 * @claimed_seconds. Its edit list is left as the muxer wrote it, so
 * that it plays @real_seconds: players follow the samples and the edit
 * list, not the header durations. Returns its path in @dir. */
char *
clap_test_make_lying_mp4 (const char *dir,
                          const char *name,
                          double      real_seconds,
                          double      claimed_seconds)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = NULL;
  g_autoptr(GstElement) sink = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) message = NULL;
  g_autofree char *description = NULL;
  g_autofree guint8 *data = NULL;
  char *path = g_build_filename (dir, name, NULL);
  TkhdPatch tkhd = { claimed_seconds, 0 };
  guint count = 0;
  gsize size;

  gst_init (NULL, NULL);

  description = g_strdup_printf ("videotestsrc num-buffers=%u "
                                 "! video/x-raw,width=400,height=240,framerate=5/1,format=I420 "
                                 "! x264enc speed-preset=ultrafast threads=1 bitrate=100 "
                                 "! mp4mux ! filesink name=sink",
                                 (guint) (real_seconds * 5 + 0.5));
  pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "location", path, NULL);

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_assert_nonnull (message);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);

  g_assert_true (g_file_get_contents (path, (char **) &data, &size, &error));
  g_assert_no_error (error);

  patch_boxes (data, 0, size, "mvhd", read_movie_timescale, &tkhd.movie_timescale, &count);
  g_assert_cmpuint (count, ==, 1);
  g_assert_cmpuint (tkhd.movie_timescale, >, 0);

  count = 0;
  patch_boxes (data, 0, size, "mvhd", patch_timed_header, &claimed_seconds, &count);
  g_assert_cmpuint (count, ==, 1);
  count = 0;
  patch_boxes (data, 0, size, "tkhd", patch_tkhd, &tkhd, &count);
  g_assert_cmpuint (count, ==, 1);
  count = 0;
  patch_boxes (data, 0, size, "mdhd", patch_timed_header, &claimed_seconds, &count);
  g_assert_cmpuint (count, ==, 1);

  g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) size, &error));
  g_assert_no_error (error);

  return path;
}

/* Writes @bytes to DIR/NAME and gives the path. */
char *
clap_test_write (const char *dir,
                 const char *name,
                 GBytes     *bytes)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      (gssize) g_bytes_get_size (bytes), NULL));
  return path;
}

/* Removes @path and everything below it (test folders only). */
void
clap_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        clap_test_rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

GSubprocess *
clap_test_spawn_cli (GSubprocessLauncher *launcher,
                     const char * const  *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *child;

  g_assert_nonnull (g_getenv ("CLAPBOARD_CLI"));
  g_ptr_array_add (argv, (gpointer) g_getenv ("CLAPBOARD_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  child = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return child;
}
