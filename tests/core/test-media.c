/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "clap-catalog.h"
#include "clap-media.h"
#include "clap-test-files.h"

/* Real encoder output is probed by the client tests, on clips the
 * simulator renders with GStreamer. */

static gboolean
probe_bytes (GBytes         *bytes,
             ClapMediaInfo  *info,
             GError        **error)
{
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);
  return clap_media_probe_stream (stream, g_bytes_get_size (bytes), info, error);
}

static void
test_png (void)
{
  g_autoptr(GBytes) png = clap_test_make_png (1920, 1080, 0);
  g_autoptr(GError) error = NULL;
  ClapMediaInfo info;

  g_assert_true (probe_bytes (png, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.type, ==, CLAP_MEDIA_PNG);
  g_assert_cmpuint (info.width, ==, 1920);
  g_assert_cmpuint (info.height, ==, 1080);
  g_assert_cmpstr (clap_media_get_content_type (&info), ==, "image/png");
  g_assert_true (clap_media_check_image (&info, &error));
}

static void
test_jpeg (void)
{
  g_autoptr(GBytes) jpeg = clap_test_make_jpeg (640, 1200);
  g_autoptr(GError) error = NULL;
  ClapMediaInfo info;

  g_assert_true (probe_bytes (jpeg, &info, &error));
  g_assert_cmpint (info.type, ==, CLAP_MEDIA_JPEG);
  g_assert_cmpuint (info.width, ==, 640);
  g_assert_cmpuint (info.height, ==, 1200);
  g_assert_true (clap_media_check_image (&info, &error));
}

static void
test_mp4 (void)
{
  struct { gboolean mdat_first, v1; const char *brand; ClapMediaType type; } cases[] = {
    { FALSE, FALSE, "isom", CLAP_MEDIA_MP4 },
    { TRUE, FALSE, "mp42", CLAP_MEDIA_MP4 },
    { TRUE, TRUE, "qt  ", CLAP_MEDIA_MOV },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) mp4 = clap_test_make_mp4 (cases[i].brand, 600, 600 * 7 + 300, 1280, 720,
                                        cases[i].mdat_first, cases[i].v1);
      g_autoptr(GError) error = NULL;
      ClapMediaInfo info;

      g_assert_true (probe_bytes (mp4, &info, &error));
      g_assert_no_error (error);
      g_assert_cmpint (info.type, ==, cases[i].type);
      g_assert_cmpfloat_with_epsilon (info.duration, 7.5, 0.001);
      g_assert_cmpuint (info.width, ==, 1280);
      g_assert_cmpuint (info.height, ==, 720);
      g_assert_true (clap_media_check_video (&info, 30, &error));
      g_assert_false (clap_media_check_video (&info, 5, &error));
      g_assert_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_LONG);
    }
}

static void
expect_probe_error (GBytes     *bytes,
                    gint        code)
{
  g_autoptr(GError) error = NULL;
  ClapMediaInfo info;

  g_assert_false (probe_bytes (bytes, &info, &error));
  g_assert_error (error, CLAP_MEDIA_ERROR, code);
  g_test_message ("%s", error->message);
}

static void
test_bad_files (void)
{
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) text = g_bytes_new_static ("This is a text file renamed to .png\n", 36);
  g_autoptr(GBytes) tiny = g_bytes_new_static ("\x89PNG", 4);
  g_autoptr(GBytes) png = clap_test_make_png (800, 600, 0);
  g_autoptr(GBytes) cut_png = g_bytes_new_from_bytes (png, 0, 20);
  g_autoptr(GBytes) jpeg = clap_test_make_jpeg (800, 600);
  g_autoptr(GBytes) cut_jpeg = g_bytes_new_from_bytes (jpeg, 0, 10);
  g_autoptr(GBytes) zero_png = clap_test_make_png (0, 10, 0);
  g_autoptr(GBytes) mp4 = clap_test_make_mp4 ("isom", 1000, 5000, 640, 480, TRUE, FALSE);
  g_autoptr(GBytes) cut_mp4 = g_bytes_new_from_bytes (mp4, 0, g_bytes_get_size (mp4) - 40);

  expect_probe_error (empty, CLAP_MEDIA_ERROR_EMPTY);
  expect_probe_error (text, CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE);
  expect_probe_error (tiny, CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE);
  expect_probe_error (cut_png, CLAP_MEDIA_ERROR_CORRUPT);
  expect_probe_error (cut_jpeg, CLAP_MEDIA_ERROR_CORRUPT);
  expect_probe_error (zero_png, CLAP_MEDIA_ERROR_CORRUPT);
  expect_probe_error (cut_mp4, CLAP_MEDIA_ERROR_CORRUPT);
}

#define expect_check_error(call, error, code, fragment) \
  G_STMT_START { gboolean ok_ = (call); check_error (ok_, error, code, fragment); } G_STMT_END

static void
check_error (gboolean    ok,
             GError     *error,
             gint        code,
             const char *fragment)
{
  g_assert_false (ok);
  g_assert_error (error, CLAP_MEDIA_ERROR, code);
  g_test_message ("%s", error->message);
  if (strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, fragment);
}

static void
test_image_limits (void)
{
  ClapMediaInfo info = { CLAP_MEDIA_PNG, 1000, 1, 1, 0 };
  GError *error = NULL;

  expect_check_error (clap_media_check_image (&info, &error), error,
                      CLAP_MEDIA_ERROR_TOO_SMALL, "1 × 1");
  g_clear_error (&error);

  info.width = 3000; info.height = 300;
  expect_check_error (clap_media_check_image (&info, &error), error,
                      CLAP_MEDIA_ERROR_BAD_ASPECT, "2.5");
  g_clear_error (&error);

  info.width = 300; info.height = 750; /* exactly 1:2.5 */
  g_assert_true (clap_media_check_image (&info, NULL));

  info.width = 1000; info.height = 1000; info.size = 50 * 1000 * 1000;
  expect_check_error (clap_media_check_image (&info, &error), error,
                      CLAP_MEDIA_ERROR_TOO_LARGE, "50.0");
  g_clear_error (&error);

  info.type = CLAP_MEDIA_MP4;
  expect_check_error (clap_media_check_image (&info, &error), error,
                      CLAP_MEDIA_ERROR_WRONG_KIND, "video");
  g_clear_error (&error);
}

static void
test_video_limits (void)
{
  ClapMediaInfo info = { CLAP_MEDIA_MP4, 1000000, 1280, 720, 2.0 };
  GError *error = NULL;

  expect_check_error (clap_media_check_video (&info, 30, &error), error,
                      CLAP_MEDIA_ERROR_TOO_SHORT, "2.0 s");
  g_clear_error (&error);

  info.duration = 40;
  expect_check_error (clap_media_check_video (&info, 30, &error), error,
                      CLAP_MEDIA_ERROR_TOO_LONG, "40.0 s");
  g_clear_error (&error);

  info.duration = 12;
  expect_check_error (clap_media_check_video (&info, CLAP_VIDEO_MAX_SECONDS_IMAGE, &error), error,
                      CLAP_MEDIA_ERROR_TOO_LONG, "10 s");
  g_clear_error (&error);
  g_assert_true (clap_media_check_video (&info, 30, NULL));

  info.width = 320; info.height = 240;
  expect_check_error (clap_media_check_video (&info, 30, &error), error,
                      CLAP_MEDIA_ERROR_TOO_SMALL, "340");
  g_clear_error (&error);

  info.width = 4096; info.height = 2160;
  expect_check_error (clap_media_check_video (&info, 30, &error), error,
                      CLAP_MEDIA_ERROR_TOO_BIG, "3850");
  g_clear_error (&error);

  info.width = 1280; info.height = 720; info.size = 200 * 1000 * 1000;
  expect_check_error (clap_media_check_video (&info, 30, &error), error,
                      CLAP_MEDIA_ERROR_TOO_LARGE, "100.0");
  g_clear_error (&error);

  info.type = CLAP_MEDIA_JPEG;
  expect_check_error (clap_media_check_video (&info, 30, &error), error,
                      CLAP_MEDIA_ERROR_WRONG_KIND, "image");
  g_clear_error (&error);
}

/* Stream duration: what the samples last, never what a header claims */

/* A stream that cannot seek, as a pipe: the probe reads forward only. */
typedef struct {
  GFilterInputStream parent_instance;
} ForwardStream;

typedef struct {
  GFilterInputStreamClass parent_class;
} ForwardStreamClass;

static GType forward_stream_get_type (void);
G_DEFINE_TYPE (ForwardStream, forward_stream, G_TYPE_FILTER_INPUT_STREAM)

static gssize
forward_stream_read (GInputStream  *stream,
                     void          *buffer,
                     gsize          count,
                     GCancellable  *cancellable,
                     GError       **error)
{
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));

  return g_input_stream_read (base, buffer, count, cancellable, error);
}

static void
forward_stream_class_init (ForwardStreamClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = forward_stream_read;
}

static void
forward_stream_init (ForwardStream *self)
{
}

static double
probe_duration (GBytes   *bytes,
                gboolean  forward_only)
{
  g_autoptr(GInputStream) memory = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  ClapMediaInfo info;

  if (forward_only)
    stream = g_object_new (forward_stream_get_type (), "base-stream", memory, NULL);
  else
    stream = g_object_ref (memory);

  clap_media_probe_stream (stream, g_bytes_get_size (bytes), &info, &error);
  g_assert_no_error (error);
  g_assert_true (clap_media_is_video (&info));
  return info.duration;
}

/* The headers all say 5 s; the 200 frames at 5 fps last 40 s, and that
 * is what plays, what the provider measures and bills. */
static void
test_duration_lying_header (void)
{
  g_autofree char *dir = g_dir_make_tmp ("clap-media-XXXXXX", NULL);
  g_autofree char *path = clap_test_make_lying_mp4 (dir, "lying.mp4", 40.0, 5.0);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  ClapMediaInfo info;

  g_assert_true (clap_media_probe_file (file, &info, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.type, ==, CLAP_MEDIA_MP4);
  g_assert_cmpfloat_with_epsilon (info.duration, 40.0, 0.05);
  g_assert_cmpuint (info.width, ==, 400);
  g_assert_cmpuint (info.height, ==, 240);

  expect_check_error (clap_media_check_video (&info, 30, &error), error,
                      CLAP_MEDIA_ERROR_TOO_LONG, "The video lasts 40.0 s");

  clap_test_rm_rf (dir);
}

static void
test_duration_samples_over_headers (void)
{
  /* mvhd, tkhd and mdhd: 5 s; stts: 1000 samples of 1/25 s */
  ClapTestTrack video = { "vide", 1280, 720, 12800, 5 * 12800, FALSE, 1000, 512 };
  g_autoptr(GBytes) mp4 = clap_test_make_mp4_tracks (1000, 5000, &video, 1, 0);

  g_assert_cmpfloat_with_epsilon (probe_duration (mp4, FALSE), 40.0, 0.001);
  g_assert_cmpfloat_with_epsilon (probe_duration (mp4, TRUE), 40.0, 0.001);
}

static void
test_duration_longest_track (void)
{
  ClapTestTrack tracks[] = {
    /* a timecode track may claim an hour; it plays nothing */
    { "tmcd", 0, 0, 600, 3600 * 600, FALSE, 1, 3600 * 600 },
    { "vide", 640, 480, 600, 5 * 600, FALSE, 250, 24 },        /* 10 s */
    { "soun", 0, 0, 48000, 5 * 48000, FALSE, 12 * 48000, 1 },  /* 12 s: plays on */
  };
  g_autoptr(GBytes) mp4 = clap_test_make_mp4_tracks (1000, 5000, tracks, G_N_ELEMENTS (tracks), 0);

  g_assert_cmpfloat_with_epsilon (probe_duration (mp4, FALSE), 12.0, 0.001);
}

static void
test_duration_no_sample_table (void)
{
  /* without samples, the track's own header; without one, the movie's */
  ClapTestTrack with_header = { "vide", 640, 480, 600, 8 * 600, TRUE };
  ClapTestTrack bare = { "vide", 640, 480, 0, 0, TRUE };
  g_autoptr(GBytes) track_header = clap_test_make_mp4_tracks (1000, 5000, &with_header, 1, 0);
  g_autoptr(GBytes) movie_header = clap_test_make_mp4_tracks (1000, 6500, &bare, 1, 0);

  g_assert_cmpfloat_with_epsilon (probe_duration (track_header, FALSE), 8.0, 0.001);
  g_assert_cmpfloat_with_epsilon (probe_duration (movie_header, FALSE), 6.5, 0.001);
}

static void
test_duration_fragmented (void)
{
  ClapTestTrack tracks[] = {
    /* durations in each trun: 3 × 50 × 512 / 12800 = 6 s */
    { "vide", 1280, 720, 12800, 0, FALSE, 0, 0, 50, 512, 0, 0 },
    /* the fragment header's default: 3 × 100 × 1024 / 48000 = 6.4 s */
    { "soun", 0, 0, 48000, 0, FALSE, 0, 0, 100, 0, 1024, 999 },
  };
  ClapTestTrack trex_only[] = {
    /* the movie's defaults (trex): 3 × 30 × 1000 / 10000 = 9 s */
    { "vide", 1280, 720, 10000, 0, FALSE, 0, 0, 30, 0, 0, 1000 },
  };
  g_autoptr(GBytes) mp4 = clap_test_make_mp4_tracks (1000, 0, tracks, G_N_ELEMENTS (tracks), 3);
  g_autoptr(GBytes) defaults = clap_test_make_mp4_tracks (1000, 0, trex_only, 1, 3);

  g_assert_cmpfloat_with_epsilon (probe_duration (mp4, FALSE), 6.4, 0.001);
  g_assert_cmpfloat_with_epsilon (probe_duration (mp4, TRUE), 6.4, 0.001);
  g_assert_cmpfloat_with_epsilon (probe_duration (defaults, FALSE), 9.0, 0.001);
  g_assert_cmpfloat_with_epsilon (probe_duration (defaults, TRUE), 9.0, 0.001);
}

/* The offset of the payload of the first @type box in @bytes. */
static gsize
find_box (GBytes     *bytes,
          const char *type)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  for (gsize i = 4; i + 4 <= size; i++)
    if (memcmp (data + i, type, 4) == 0)
      return i + 4;

  g_assert_not_reached ();
}

static GBytes *
patched32 (GBytes     *bytes,
           const char *type,
           gsize       offset,
           guint32     value)
{
  gsize size = g_bytes_get_size (bytes);
  guint8 *data = g_memdup2 (g_bytes_get_data (bytes, NULL), size);
  gsize at = find_box (bytes, type) + offset;

  data[at] = value >> 24;
  data[at + 1] = value >> 16;
  data[at + 2] = value >> 8;
  data[at + 3] = value;
  return g_bytes_new_take (data, size);
}

static void
test_duration_hostile (void)
{
  ClapTestTrack video = { "vide", 1280, 720, 12800, 5 * 12800, FALSE, 1000, 512 };
  ClapTestTrack huge = { "vide", 1280, 720, 1, 5, FALSE, G_MAXUINT32, G_MAXUINT32 };
  ClapTestTrack fragmented = { "vide", 1280, 720, 12800, 0, FALSE, 0, 0, 50, 512 };
  ClapTestTrack many[33];
  g_autoptr(GBytes) mp4 = clap_test_make_mp4_tracks (1000, 5000, &video, 1, 0);
  g_autoptr(GBytes) huge_mp4 = clap_test_make_mp4_tracks (1000, 5000, &huge, 1, 0);
  g_autoptr(GBytes) fragmented_mp4 = clap_test_make_mp4_tracks (1000, 0, &fragmented, 1, 1);
  g_autoptr(GBytes) too_many = NULL;
  /* an stts announcing more entries than its box holds */
  g_autoptr(GBytes) long_table = patched32 (mp4, "stts", 4, 1000000);
  /* samples, but no time scale to count them in */
  g_autoptr(GBytes) no_scale = patched32 (mp4, "mdhd", 12, 0);
  /* a trun announcing more samples than its box holds */
  g_autoptr(GBytes) long_run = patched32 (fragmented_mp4, "trun", 4, 0x10000000);
  g_autoptr(GError) error = NULL;
  ClapMediaInfo info;

  expect_probe_error (long_table, CLAP_MEDIA_ERROR_CORRUPT);
  expect_probe_error (no_scale, CLAP_MEDIA_ERROR_CORRUPT);
  expect_probe_error (long_run, CLAP_MEDIA_ERROR_CORRUPT);

  for (guint i = 0; i < G_N_ELEMENTS (many); i++)
    many[i] = video;
  too_many = clap_test_make_mp4_tracks (1000, 5000, many, G_N_ELEMENTS (many), 0);
  expect_probe_error (too_many, CLAP_MEDIA_ERROR_CORRUPT);

  /* 2^32 samples of 2^32 s: a length, absurd but finite, and refused */
  g_assert_true (probe_bytes (huge_mp4, &info, &error));
  g_assert_cmpfloat (info.duration, >, 1e18);
  expect_check_error (clap_media_check_video (&info, 30, &error), error,
                      CLAP_MEDIA_ERROR_TOO_LONG, "The video lasts");
}

static void
test_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("clap-media-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "frame.png", NULL);
  g_autofree char *missing = g_build_filename (dir, "gone.png", NULL);
  g_autoptr(GBytes) png = clap_test_make_png (1024, 576, 0);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) gone = g_file_new_for_path (missing);
  g_autoptr(GFile) folder = g_file_new_for_path (dir);
  g_autofree char *link_path = g_build_filename (dir, "link.png", NULL);
  g_autoptr(GFile) link = g_file_new_for_path (link_path);
  g_autoptr(GError) error = NULL;
  g_autofree char *described = NULL;
  ClapMediaInfo info;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (png, NULL), g_bytes_get_size (png), NULL));
  g_assert_true (clap_media_probe_file (file, &info, NULL, &error));
  g_assert_cmpuint (info.size, ==, g_bytes_get_size (png));
  described = clap_media_describe (&info);
  g_assert_nonnull (strstr (described, "1024 × 576"));

  g_assert_false (clap_media_probe_file (gone, &info, NULL, &error));
  g_assert_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_false (clap_media_probe_file (folder, &info, NULL, &error));
  g_assert_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE);
  g_clear_error (&error);

  /* a link to a file deleted since it was chosen: gone, not "not a file" */
  g_assert_cmpint (symlink (missing, link_path), ==, 0);
  g_assert_false (clap_media_probe_file (link, &info, NULL, &error));
  g_assert_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "does not exist any more"));

  g_unlink (link_path);
  g_unlink (path);
  g_rmdir (dir);
}

/* Random bytes and mutations of valid headers must never crash or hang. */
static void
test_garbage (void)
{
  ClapTestTrack tracks[] = {
    { "vide", 640, 480, 12800, 0, FALSE, 10, 512, 20, 512, 0, 512 },
    { "soun", 0, 0, 48000, 0, FALSE, 10, 1024, 20, 0, 1024, 1024 },
  };
  GBytes *seeds[4] = {
    clap_test_make_png (500, 500, 0),
    clap_test_make_jpeg (500, 500),
    clap_test_make_mp4 ("isom", 600, 6000, 640, 480, TRUE, TRUE),
    clap_test_make_mp4_tracks (1000, 0, tracks, G_N_ELEMENTS (tracks), 2),
  };
  GRand *rand = g_rand_new_with_seed (42);

  for (guint round = 0; round < 4000; round++)
    {
      GBytes *seed = seeds[round % G_N_ELEMENTS (seeds)];
      gsize size = g_bytes_get_size (seed);
      guint8 *data = g_memdup2 (g_bytes_get_data (seed, NULL), size);
      g_autoptr(GBytes) bytes = NULL;
      ClapMediaInfo info;

      for (guint k = 0; k < 1 + round % 8; k++)
        data[g_rand_int_range (rand, 0, (gint32) size)] = (guint8) g_rand_int (rand);

      bytes = g_bytes_new_take (data, g_rand_int_range (rand, 1, (gint32) size + 1));
      (void) probe_bytes (bytes, &info, NULL);
    }

  g_rand_free (rand);
  for (guint i = 0; i < G_N_ELEMENTS (seeds); i++)
    g_bytes_unref (seeds[i]);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/media/png", test_png);
  g_test_add_func ("/core/media/jpeg", test_jpeg);
  g_test_add_func ("/core/media/mp4", test_mp4);
  g_test_add_func ("/core/media/bad-files", test_bad_files);
  g_test_add_func ("/core/media/image-limits", test_image_limits);
  g_test_add_func ("/core/media/video-limits", test_video_limits);
  g_test_add_func ("/core/media/duration/lying-header", test_duration_lying_header);
  g_test_add_func ("/core/media/duration/samples-over-headers", test_duration_samples_over_headers);
  g_test_add_func ("/core/media/duration/longest-track", test_duration_longest_track);
  g_test_add_func ("/core/media/duration/no-sample-table", test_duration_no_sample_table);
  g_test_add_func ("/core/media/duration/fragmented", test_duration_fragmented);
  g_test_add_func ("/core/media/duration/hostile", test_duration_hostile);
  g_test_add_func ("/core/media/files", test_files);
  g_test_add_func ("/core/media/garbage", test_garbage);

  return g_test_run ();
}
