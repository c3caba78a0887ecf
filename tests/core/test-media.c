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
  GBytes *seeds[3] = {
    clap_test_make_png (500, 500, 0), clap_test_make_jpeg (500, 500), clap_test_make_mp4 ("isom", 600, 6000, 640, 480, TRUE, TRUE)
  };
  GRand *rand = g_rand_new_with_seed (42);

  for (guint round = 0; round < 3000; round++)
    {
      GBytes *seed = seeds[round % 3];
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
  g_test_add_func ("/core/media/files", test_files);
  g_test_add_func ("/core/media/garbage", test_garbage);

  return g_test_run ();
}
