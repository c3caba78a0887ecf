/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "clap-test-files.h"
#include "rel-util.h"
#include "sim-test-util.h"

/* A full disk while a result downloads. Two real write errors, from the
 * kernel, with no interposed library:
 *
 * - the results folder on a small tmpfs, mostly filled: writes fail with
 *   ENOSPC. Mounting needs root (CI) or an unprivileged user namespace;
 *   where neither is allowed the case is skipped, and says so;
 * - a file size limit (RLIMIT_FSIZE) on the clapboard-cli process: writes
 *   past it fail with EFBIG. It needs no privilege and always runs.
 *
 * Either way clapboard-cli says what happened, the take stays completed
 * and not downloaded in the history, the .part keeps what arrived, and
 * once there is room `clapboard-cli resume` finishes the download from the
 * .part with a Range request (the simulator answers 206).
 */

#define TMPFS_BYTES   (4 * 1024 * 1024)
#define FSIZE_LIMIT   (256 * 1024)

static RelSim *sim;
static char *tmp_dir;
static char *clip;
static guint64 clip_size;
static gboolean private_mounts;
static char *namespace_problem;

static gboolean
write_proc (const char *path,
            const char *text)
{
  int fd = open (path, O_WRONLY);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = write (fd, text, strlen (text)) == (gssize) strlen (text);
  close (fd);
  return ok;
}

/* Mounts made by this process are its own and vanish with it, even if it
 * crashes: a mount namespace (root), else a user and mount namespace.
 * Must run before any thread starts. */
static void
enter_private_mount_namespace (void)
{
  uid_t uid = getuid ();
  gid_t gid = getgid ();
  char map[64];

  if (unshare (CLONE_NEWNS) != 0)
    {
      int saved = errno;

      if (unshare (CLONE_NEWUSER | CLONE_NEWNS) != 0)
        {
          namespace_problem = g_strdup_printf ("no mount namespace: %s, then %s",
                                               g_strerror (saved), g_strerror (errno));
          return;
        }

      g_snprintf (map, sizeof map, "0 %u 1", (guint) uid);
      if (!write_proc ("/proc/self/setgroups", "deny") ||
          !write_proc ("/proc/self/uid_map", map))
        {
          namespace_problem = g_strdup ("the user namespace could not be mapped");
          return;
        }
      g_snprintf (map, sizeof map, "0 %u 1", (guint) gid);
      if (!write_proc ("/proc/self/gid_map", map))
        {
          namespace_problem = g_strdup ("the user namespace could not be mapped");
          return;
        }
    }

  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    {
      namespace_problem = g_strdup_printf ("mounts could not be made private: %s",
                                           g_strerror (errno));
      return;
    }

  private_mounts = TRUE;
}

static void
write_filler (const char *path,
              gsize       size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *zeros = g_malloc0 (size);

  g_assert_true (g_file_set_contents (path, zeros, size, &error));
  g_assert_no_error (error);
}

/* The .part holds a true prefix of the result, shorter than it. */
static void
assert_prefix (const char *part)
{
  g_autofree char *a = NULL, *b = NULL;
  gsize la = 0, lb = 0;

  g_assert_true (g_file_get_contents (part, &a, &la, NULL));
  g_assert_true (g_file_get_contents (clip, &b, &lb, NULL));
  g_test_message ("%s holds %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes", part, la, lb);
  g_assert_cmpuint (la, >, 0);
  g_assert_cmpuint (la, <, lb);
  g_assert_cmpmem (a, la, b, la);
}

/* The take as the history has it after the failed download. Its files
 * are named after the take's own uid. Returns the task id. */
static char *
check_kept (const char *data_dir,
            const char *prompt,
            const char *out)
{
  g_autoptr(JsonArray) history = rel_cli_list (data_dir);
  JsonObject *take = rel_find (history, "prompt", prompt);
  g_autofree char *id = g_strndup (out, strcspn (out, "\n"));
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *part = NULL;

  g_assert_nonnull (take);
  name = g_strconcat (rel_get_string (take, "uid"), ".mp4", NULL);
  path = g_build_filename (data_dir, "results", name, NULL);
  part = g_strconcat (path, ".part", NULL);
  g_assert_cmpstr (rel_get_string (take, "taskId"), ==, id);
  g_assert_cmpstr (rel_get_string (take, "state"), ==, "completed");
  g_assert_null (rel_get_string (take, "localFile"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  assert_prefix (part);

  return g_steal_pointer (&id);
}

/* resume fetches the rest: a 206 from the simulator, the whole clip, no
 * .part left. */
static void
check_resumed (RelSim     *server,
               const char *data_dir,
               const char *id,
               gboolean    ranged)
{
  g_autofree char *remote = g_strconcat (id, ".mp4", NULL);
  g_autofree char *range = g_strdup_printf ("GET /results/%s -> 206", remote);
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *part = NULL;
  g_autofree char *log = NULL;
  g_autofree char *line = NULL;
  g_autoptr(JsonArray) history = NULL;
  g_auto(RelRun) resume = { 0 };
  JsonObject *take;

  rel_cli (&resume, server, data_dir, "resume");
  g_assert_cmpint (resume.status, ==, 0);

  history = rel_cli_list (data_dir);
  take = rel_find (history, "taskId", id);
  g_assert_nonnull (take);
  name = g_strconcat (rel_get_string (take, "uid"), ".mp4", NULL);
  path = g_build_filename (data_dir, "results", name, NULL);
  part = g_strconcat (path, ".part", NULL);
  line = g_strdup_printf ("%s\t%s\n", id, path);
  rel_assert_contains (resume.out, line);
  g_assert_cmpstr (rel_get_string (take, "state"), ==, "completed");
  g_assert_cmpstr (rel_get_string (take, "localFile"), ==, path);
  g_assert_true (rel_files_equal (path, clip));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));

  log = rel_sim_log (server);
  if (ranged)
    rel_assert_contains (log, range);
}

static void
test_tmpfs (void)
{
  g_autofree char *data_dir = g_build_filename (tmp_dir, "tmpfs", NULL);
  g_autofree char *results = g_build_filename (data_dir, "results", NULL);
  g_autofree char *filler = g_build_filename (results, "filler", NULL);
  g_autofree char *options = g_strdup_printf ("size=%u,mode=0700", TMPFS_BYTES);
  g_autofree char *id = NULL;
  const char *prompt = "A clip for a full disk";
  g_auto(RelRun) run = { 0 };

  if (!private_mounts)
    {
      g_autofree char *message = g_strdup_printf ("cannot mount a tmpfs here (%s); the file "
                                                  "size limit case still runs", namespace_problem);
      g_test_skip (message);
      return;
    }

  g_assert_cmpint (g_mkdir_with_parents (results, 0700), ==, 0);
  if (mount ("tmpfs", results, "tmpfs", 0, options) != 0)
    {
      g_autofree char *message = g_strdup_printf ("mount -t tmpfs failed: %s; the file size "
                                                  "limit case still runs", g_strerror (errno));
      g_test_skip (message);
      return;
    }

  /* Room for about half of the result. */
  write_filler (filler, TMPFS_BYTES - clip_size / 2);

  rel_cli (&run, sim, data_dir, "generate", "--prompt", prompt, "--wait");
  g_assert_cmpint (run.status, ==, 9);
  rel_assert_contains (run.err, "The disk is full");
  rel_assert_contains (run.err, "clapboard-cli resume");
  g_assert_null (strstr (run.err, "(null)"));
  id = check_kept (data_dir, prompt, run.out);

  /* A resume while the disk is still full says so again, and keeps it. */
  {
    g_auto(RelRun) still = { 0 };

    rel_cli (&still, sim, data_dir, "resume");
    g_assert_cmpint (still.status, ==, 1);
    rel_assert_contains (still.err, "The disk is full");
    g_free (check_kept (data_dir, prompt, run.out));
  }

  g_assert_cmpint (g_unlink (filler), ==, 0);
  check_resumed (sim, data_dir, id, TRUE);

  g_assert_cmpint (umount (results), ==, 0);
}

static void
limit_file_size (gpointer user_data)
{
  struct rlimit limit = { FSIZE_LIMIT, FSIZE_LIMIT };

  /* Past the limit write() fails with EFBIG instead of killing the process. */
  signal (SIGXFSZ, SIG_IGN);
  setrlimit (RLIMIT_FSIZE, &limit);
}

static void
test_file_size_limit (void)
{
  g_autofree char *data_dir = g_build_filename (tmp_dir, "fsize", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *id = NULL;
  const char *prompt = "A clip for a file size limit";
  g_auto(RelRun) run = { 0 };

  g_assert_cmpuint (clip_size, >, FSIZE_LIMIT);

  launcher = rel_cli_launcher (sim, data_dir, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                              G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                              G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, limit_file_size, NULL, NULL);
  rel_cli_run_full (&run, launcher,
                    (const char *[]) { "generate", "--prompt", prompt, "--wait", NULL });
  g_assert_cmpint (run.status, ==, 9);
  rel_assert_contains (run.err, "could not be written");
  rel_assert_contains (run.err, g_strerror (EFBIG));
  rel_assert_contains (run.err, "clapboard-cli resume");
  g_assert_null (strstr (run.err, "(null)"));
  id = check_kept (data_dir, prompt, run.out);

  /* Without the limit, resume completes it. */
  check_resumed (sim, data_dir, id, TRUE);
}


/* A tmpfs of TMPFS_BYTES at @dir, or the test is skipped (and says why). */
static gboolean
mount_small_disk (const char *dir)
{
  g_autofree char *options = g_strdup_printf ("size=%u,mode=0700", TMPFS_BYTES);

  if (!private_mounts)
    {
      g_autofree char *message = g_strdup_printf ("cannot mount a tmpfs here (%s)",
                                                  namespace_problem);
      g_test_skip (message);
      return FALSE;
    }

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  if (mount ("tmpfs", dir, "tmpfs", 0, options) != 0)
    {
      g_autofree char *message = g_strdup_printf ("mount -t tmpfs failed: %s", g_strerror (errno));
      g_test_skip (message);
      return FALSE;
    }
  return TRUE;
}

/* Writes @path until the disk has no room left. */
static void
fill_disk (const char *path)
{
  g_autofree char *block = g_malloc0 (64 * 1024);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  gsize size = 64 * 1024;

  g_assert_cmpint (fd, >=, 0);
  while (size > 0)
    {
      gssize n = write (fd, block, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_assert_cmpint (errno, ==, ENOSPC);
          size /= 2;
        }
    }
  close (fd);
}

static gboolean
file_holds (const char *path,
            const char *text)
{
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  return memmem (contents, length, text, strlen (text)) != NULL;
}

/* The disk fills while the create is on its way: the service makes the
 * take (it is charged) but the history cannot record its id. The id is
 * kept in the journal beside the history, whose room was taken when the
 * history was opened; clapboard-cli prints it, says where it is and what
 * will record it, and exits 9. Once there is room, resume records it and
 * finishes the take. */
static void
test_task_id_kept (void)
{
  g_autofree char *data_dir = g_build_filename (tmp_dir, "journal", NULL);
  g_autofree char *filler = g_build_filename (data_dir, "filler", NULL);
  g_autofree char *journal = g_build_filename (data_dir, "history.db-ids", NULL);
  g_autofree char *id = NULL;
  g_autofree char *said = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) history = NULL;
  g_auto(RelRun) run = { 0 };
  const char *prompt = "Paid for on a full disk [sim:create=slow]";
  RelSim *slow;
  JsonObject *take;

  if (!mount_small_disk (data_dir))
    return;

  /* Its answer to the create is held until the disk is full. */
  slow = rel_sim_start (clip, "--pending-ms", "100", "--processing-ms", "200",
                        "--slow-ms", "4000", NULL);
  launcher = rel_cli_launcher (slow, data_dir, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                               G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  child = clap_test_spawn_cli (launcher, (const char *[]) { "generate", "--prompt", prompt,
                                                            "--wait", NULL });
  while (rel_sim_count (slow, "create") < 1)
    {
      g_assert_nonnull (g_subprocess_get_identifier (child));
      g_usleep (10 * 1000);
    }
  rel_sim_signal (slow, SIGSTOP);
  fill_disk (filler);
  rel_sim_signal (slow, SIGCONT);

  g_assert_true (g_subprocess_communicate_utf8 (child, "", NULL, &run.out, &run.err, &error));
  g_assert_no_error (error);
  run.status = g_subprocess_get_if_exited (child) ? g_subprocess_get_exit_status (child) : -1;
  g_test_message ("stdout: %s\nstderr: %s", run.out, run.err);

  g_assert_cmpint (run.status, ==, 9);
  id = g_strndup (run.out, strcspn (run.out, "\n"));
  g_assert_true (g_str_has_prefix (id, "cl"));
  said = g_strdup_printf ("The service created the take (task id %s) but the history could not "
                          "record it: the disk is full. The id is kept in %s; once there is "
                          "space, `clapboard-cli resume` or the window records and follows it.",
                          id, journal);
  rel_assert_contains (run.err, said);
  g_assert_null (strstr (run.err, "nothing is sent"));
  g_assert_null (strstr (run.err, "(null)"));
  g_assert_true (file_holds (journal, id));

  /* Read as it is, the history shows the id already. */
  history = rel_cli_list (data_dir);
  take = rel_find (history, "prompt", prompt);
  g_assert_nonnull (take);
  g_assert_cmpstr (rel_get_string (take, "taskId"), ==, id);

  /* Room again: resume records the id, follows the take and fetches it. */
  g_assert_cmpint (g_unlink (filler), ==, 0);
  check_resumed (slow, data_dir, id, FALSE);
  g_assert_false (file_holds (journal, id));

  rel_sim_stop (slow);
  g_assert_cmpint (umount (data_dir), ==, 0);
}

/* A full disk when Clapboard starts is said as such, with what to do; not
 * SQLite's "disk I/O error". */
static void
test_full_at_start (void)
{
  g_autofree char *data_dir = g_build_filename (tmp_dir, "start", NULL);
  g_autofree char *filler = g_build_filename (data_dir, "filler", NULL);
  g_autofree char *history = g_build_filename (data_dir, "history.db", NULL);

  if (!mount_small_disk (data_dir))
    return;

  for (guint i = 0; i < 2; i++)
    {
      g_auto(RelRun) run = { 0 };

      /* first with no history yet, then with one */
      if (i == 1)
        {
          g_auto(RelRun) made = { 0 };

          g_assert_cmpint (g_unlink (filler), ==, 0);
          rel_cli (&made, sim, data_dir, "generate", "--prompt", "A history to start from",
                   "--wait");
          g_assert_cmpint (made.status, ==, 0);
          g_assert_true (g_file_test (history, G_FILE_TEST_EXISTS));
        }
      fill_disk (filler);

      rel_cli (&run, sim, data_dir, "resume");
      g_assert_cmpint (run.status, ==, 9);
      rel_assert_contains (run.err, "the disk is full. Free some space, then try again.");
      g_assert_null (strstr (run.err, "disk I/O error"));
      g_assert_null (strstr (run.err, "could not be written"));
    }

  g_assert_cmpint (umount (data_dir), ==, 0);
}

/* A history on a disk that cannot be written can still be listed; a
 * command that must write says why it cannot. */
static void
test_read_only_folder (void)
{
  g_autofree char *data_dir = g_build_filename (tmp_dir, "frozen", NULL);
  g_autoptr(JsonArray) history = NULL;
  g_auto(RelRun) made = { 0 };
  g_auto(RelRun) list = { 0 };
  g_auto(RelRun) resume = { 0 };
  const char *prompt = "A clip on a read-only disk";
  JsonObject *take;

  if (!mount_small_disk (data_dir))
    return;

  rel_cli (&made, sim, data_dir, "generate", "--prompt", prompt, "--wait");
  g_assert_cmpint (made.status, ==, 0);
  g_assert_cmpint (mount (NULL, data_dir, NULL, MS_REMOUNT | MS_RDONLY, NULL), ==, 0);

  rel_cli (&list, sim, data_dir, "list");
  g_assert_cmpint (list.status, ==, 0);
  rel_assert_contains (list.out, prompt);
  history = rel_cli_list (data_dir);
  take = rel_find (history, "prompt", prompt);
  g_assert_nonnull (take);
  g_assert_cmpstr (rel_get_string (take, "state"), ==, "completed");

  rel_cli (&resume, sim, data_dir, "resume");
  g_assert_cmpint (resume.status, !=, 0);
  rel_assert_contains (resume.err, "cannot be written: it or its folder is read-only");

  g_assert_cmpint (umount (data_dir), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* Before anything can start a thread. */
  enter_private_mount_namespace ();

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_assert_nonnull (g_getenv ("CLAPBOARD_CLI"));
  g_assert_nonnull (g_getenv ("CLAPBOARD_SIM"));

  tmp_dir = g_dir_make_tmp ("clap-rel-disk-XXXXXX", NULL);
  clip = sim_make_clip (tmp_dir, "result.mp4", 3.0, 640, 360);
  clip_size = rel_file_size (clip);
  g_assert_cmpuint (clip_size, <, TMPFS_BYTES);
  sim = rel_sim_start (clip, "--pending-ms", "100", "--processing-ms", "200", NULL);

  g_test_add_func ("/reliability/disk-full/tmpfs", test_tmpfs);
  g_test_add_func ("/reliability/disk-full/file-size-limit", test_file_size_limit);
  g_test_add_func ("/reliability/disk-full/task-id-kept", test_task_id_kept);
  g_test_add_func ("/reliability/disk-full/full-at-start", test_full_at_start);
  g_test_add_func ("/reliability/disk-full/read-only-folder", test_read_only_folder);

  status = g_test_run ();

  rel_sim_stop (g_steal_pointer (&sim));
  clap_test_rm_rf (tmp_dir);
  g_free (clip);
  g_free (tmp_dir);
  g_free (namespace_problem);
  return status;
}
