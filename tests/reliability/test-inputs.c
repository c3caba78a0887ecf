/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "clap-test-files.h"
#include "rel-util.h"
#include "sim-test-util.h"

/* Bad inputs cost nothing: each is refused by clapboard-cli with its own
 * message and exit code 3, before any upload or create reaches the
 * simulator and before the history gets a row. Real files where a real
 * file is the point (PNGs and H.264 MP4s made with GStreamer), byte-built
 * ones where size is (a 50 MB "image" is a PNG header and sparse padding).
 * Emoji and CJK prompts, counted in characters, go through.
 */

static RelSim *sim;
static char *tmp_dir;
static char *data_dir;      /* refused inputs: stays empty */
static char *accepted_dir;
static char *character;     /* a valid 640 × 360 PNG */

typedef struct {
  const char *name;
  const char *says;
  const char *args[12];
} BadInput;

static void
assert_refused (const char * const *args,
                const char         *says)
{
  g_autoptr(JsonArray) history = NULL;
  g_auto(RelRun) run = { 0 };
  gint64 creates = rel_sim_count (sim, "create");
  gint64 uploads = rel_sim_count (sim, "files");
  gint64 puts = rel_sim_count (sim, "upload-put");

  rel_cli_run (&run, sim, data_dir, NULL, args);
  g_assert_cmpint (run.status, ==, 3);
  rel_assert_contains (run.err, says);
  g_assert_cmpstr (run.out, ==, "");

  /* nothing spent, nothing kept */
  g_assert_cmpint (rel_sim_count (sim, "create"), ==, creates);
  g_assert_cmpint (rel_sim_count (sim, "files"), ==, uploads);
  g_assert_cmpint (rel_sim_count (sim, "upload-put"), ==, puts);
  history = rel_cli_list (data_dir);
  g_assert_cmpuint (json_array_get_length (history), ==, 0);
}

static char *
write_file (const char *name,
            const char *contents,
            gsize       length)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (tmp_dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, (gssize) length, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_images (void)
{
  g_autofree char *renamed = write_file ("holiday.png", "Remember to buy milk.\n", 22);
  g_autofree char *empty = write_file ("empty.png", "", 0);
  g_autofree char *tiny = sim_make_png (tmp_dir, "tiny.png", 1, 1);
  g_autofree char *banner = sim_make_png (tmp_dir, "banner.png", 3000, 300);
  g_autofree char *huge = NULL;
  g_autofree char *clip = sim_make_clip (tmp_dir, "not-an-image.mp4", 3.0, 640, 360);
  g_autoptr(GBytes) header = clap_test_make_png (1280, 720, 0);

  /* 50 MB: a real PNG header, then sparse zeros */
  huge = clap_test_write (tmp_dir, "huge.png", header);
  g_assert_cmpint (truncate (huge, 50 * 1000 * 1000), ==, 0);

  assert_refused ((const char *[]) { "generate", "--prompt", "x", "--image", renamed, NULL },
                  "not a PNG or JPEG");
  assert_refused ((const char *[]) { "generate", "--prompt", "x", "--image", empty, NULL },
                  "The file is empty");
  assert_refused ((const char *[]) { "generate", "--prompt", "x", "--image", huge, NULL },
                  /* g_format_size() puts a no-break space before the unit */
                  "The image is 50.0\xc2\xa0MB; the limit is 10.0\xc2\xa0MB");
  assert_refused ((const char *[]) { "generate", "--prompt", "x", "--image", tiny, NULL },
                  "1 × 1 pixels; each side must be at least 300");
  assert_refused ((const char *[]) { "generate", "--prompt", "x", "--image", banner, NULL },
                  "3000 × 300 pixels, too narrow");
  assert_refused ((const char *[]) { "generate", "--prompt", "x", "--image", clip, NULL },
                  "This is a video; an image");
  /* the last frame is checked as well as the first */
  assert_refused ((const char *[]) { "generate", "--prompt", "x", "--image", character,
                                     "--last-frame", tiny, NULL },
                  "1 × 1 pixels");
}

static void
test_motion_videos (void)
{
  g_autofree char *brief = sim_make_clip (tmp_dir, "brief.mp4", 2.0, 640, 360);
  g_autofree char *long_clip = sim_make_clip (tmp_dir, "long.mp4", 40.0, 640, 360);

  assert_refused ((const char *[]) { "generate", "--model", "kling-motion-control",
                                     "--image", character, "--motion-video", brief, NULL },
                  "The video lasts 2.0 s; it must last at least 3 s");
  assert_refused ((const char *[]) { "generate", "--model", "kling-motion-control",
                                     "--image", character, "--motion-video", long_clip,
                                     "--orientation", "video", NULL },
                  "The video lasts 40.0 s; at most 30 s are allowed here");
  /* following the image, 10 s at most */
  assert_refused ((const char *[]) { "generate", "--model", "kling-motion-control",
                                     "--image", character, "--motion-video", long_clip,
                                     "--orientation", "image", NULL },
                  "at most 10 s");
  assert_refused ((const char *[]) { "generate", "--model", "kling-motion-control",
                                     "--image", character, "--motion-video", character, NULL },
                  "This is an image; a video");
}

/* A motion video whose headers (mvhd, tkhd, mdhd) claim 5 s but whose
 * samples play 40 s: measured, it is refused for what it is, before it is
 * uploaded or priced at 5 s. */
static void
test_lying_header (void)
{
  g_autofree char *lying = clap_test_make_lying_mp4 (tmp_dir, "lying.mp4", 40.0, 5.0);

  assert_refused ((const char *[]) { "generate", "--model", "kling-motion-control",
                                     "--image", character, "--motion-video", lying,
                                     "--orientation", "video", NULL },
                  "The video lasts 40.0 s; at most 30 s are allowed here");
}

/* Chosen, then gone before it is sent: deleted, or a link whose target was
 * deleted. */
static void
test_vanished (void)
{
  g_autofree char *gone = sim_make_png (tmp_dir, "gone.png", 640, 360);
  g_autofree char *target = sim_make_png (tmp_dir, "target.png", 640, 360);
  g_autofree char *link = g_build_filename (tmp_dir, "link.png", NULL);

  g_assert_cmpint (symlink (target, link), ==, 0);
  g_assert_cmpint (g_unlink (gone), ==, 0);
  g_assert_cmpint (g_unlink (target), ==, 0);

  assert_refused ((const char *[]) { "generate", "--prompt", "x", "--image", gone, NULL },
                  "does not exist any more");
  assert_refused ((const char *[]) { "generate", "--prompt", "x", "--image", link, NULL },
                  "does not exist any more");
}

static void
test_prompts (void)
{
  static const struct {
    const char *prompt;
    const char *says;
  } controls[] = {
    { "Bell\a here", "(U+0007) at position 5" },
    { "An escape: \033[31mred", "(U+001B) at position 12" },
    { "Delete\x7f", "(U+007F) at position 7" },
    { "\xc2\x85" "next line", "(U+0085) at position 1" },
    { "猫が跳ぶ\x01", "(U+0001) at position 5" },
  };
  g_autoptr(GString) long_prompt = g_string_new (NULL);

  for (guint i = 0; i < 2501; i++)
    g_string_append_c (long_prompt, 'a' + i % 26);
  assert_refused ((const char *[]) { "generate", "--prompt", long_prompt->str, NULL },
                  "has 2501 characters; the limit is 2500");

  for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
    assert_refused ((const char *[]) { "generate", "--prompt", controls[i].prompt, NULL },
                    controls[i].says);
}

/* What goes through, unchanged, from the command line to the service and
 * back into the history. */
static void
assert_accepted (const char *prompt)
{
  g_autoptr(JsonArray) tasks = NULL;
  g_autoptr(JsonArray) history = NULL;
  g_autofree char *id = NULL;
  g_auto(RelRun) run = { 0 };
  JsonObject *task;
  JsonObject *take;

  rel_cli (&run, sim, accepted_dir, "generate", "--model", "kling-v3", "--duration", "3",
           "--prompt", prompt, "--wait");
  g_assert_cmpint (run.status, ==, 0);
  id = g_strndup (run.out, strcspn (run.out, "\n"));

  tasks = rel_sim_tasks (sim);
  task = rel_find (tasks, "taskId", id);
  g_assert_nonnull (task);
  g_assert_cmpstr (rel_get_string (task, "prompt"), ==, prompt);

  history = rel_cli_list (accepted_dir);
  take = rel_find (history, "taskId", id);
  g_assert_nonnull (take);
  g_assert_cmpstr (rel_get_string (take, "prompt"), ==, prompt);
  g_assert_cmpstr (rel_get_string (take, "state"), ==, "completed");
}

static void
test_unicode_prompts (void)
{
  g_autoptr(GString) cjk = g_string_new (NULL);
  g_autoptr(GString) emoji = g_string_new (NULL);

  assert_accepted ("🎬 一只小猫在月光下跳舞 — 月明かりの下で踊る子猫 🐈‍⬛✨ 달빛 아래 춤추는 고양이");

  /* 2500 characters, counted as characters: 7500 bytes of CJK, 10000 of
   * emoji (5000 UTF-16 units) */
  for (guint i = 0; i < 2500; i++)
    {
      g_string_append (cjk, "猫");
      g_string_append (emoji, "🐈");
    }
  assert_accepted (cjk->str);
  assert_accepted (emoji->str);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *result = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_assert_nonnull (g_getenv ("CLAPBOARD_CLI"));
  g_assert_nonnull (g_getenv ("CLAPBOARD_SIM"));

  tmp_dir = g_dir_make_tmp ("clap-rel-inputs-XXXXXX", NULL);
  data_dir = g_build_filename (tmp_dir, "data", NULL);
  accepted_dir = g_build_filename (tmp_dir, "accepted", NULL);
  character = sim_make_png (tmp_dir, "character.png", 640, 360);
  result = sim_make_clip (tmp_dir, "result.mp4", 1.0, 320, 180);
  sim = rel_sim_start (result, "--pending-ms", "50", "--processing-ms", "100", NULL);

  g_test_add_func ("/reliability/inputs/images", test_images);
  g_test_add_func ("/reliability/inputs/motion-videos", test_motion_videos);
  g_test_add_func ("/reliability/inputs/lying-header", test_lying_header);
  g_test_add_func ("/reliability/inputs/vanished", test_vanished);
  g_test_add_func ("/reliability/inputs/prompts", test_prompts);
  g_test_add_func ("/reliability/inputs/unicode-prompts", test_unicode_prompts);

  status = g_test_run ();

  rel_sim_stop (g_steal_pointer (&sim));
  clap_test_rm_rf (tmp_dir);
  g_free (character);
  g_free (accepted_dir);
  g_free (data_dir);
  g_free (tmp_dir);
  return status;
}
