/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-results"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "clap-client.h"
#include "clap-results-private.h"
#include "clap-untrusted.h"

/* Clapboard deletes, overwrites or adopts as a clip only files it made
 * itself: a regular file (not a link) directly inside the results folder,
 * named after the take's own uid (UID.mp4, UID.jpg, or their .part while
 * they download). Histories of older versions named them after the
 * service's task id (TASKID.mp4, TASKID.jpg): still recognised, when that
 * id is a valid one. A path is judged by where it really is, after links
 * and ".." are resolved, never by how it reads: "results/../../Videos/x"
 * starts like the results folder and is not in it.
 *
 * Every place that removes, replaces or adopts a file asks here first:
 * "Remove from History", the cache, a cached file gone missing, a file
 * another process downloaded. */

static const char *const suffixes[] = {
  [CLAP_RESULT_CLIP] = ".mp4",
  [CLAP_RESULT_THUMBNAIL] = ".jpg",
};

/* Where @dir really is: links resolved when it exists, else ".." and "."
 * resolved as written. */
static char *
canonical_dir (const char *dir)
{
  char *real = realpath (dir, NULL);

  if (real != NULL)
    {
      char *copy = g_strdup (real);

      free (real);
      return copy;
    }
  return g_canonicalize_filename (dir, NULL);
}

/* The file of kind @kind that Clapboard makes for the take @uid, or NULL
 * when @uid could not name a file safely (a damaged history). */
char *
_clap_results_build_path (const char     *results_dir,
                          const char     *uid,
                          ClapResultKind  kind)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (results_dir != NULL, NULL);

  if (!clap_task_id_is_valid (uid))
    return NULL;

  name = g_strconcat (uid, suffixes[kind], NULL);
  return g_build_filename (results_dir, name, NULL);
}

static gboolean
is_own_name (const char *name,
             const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (id, suffixes[i], NULL);
      g_autofree char *part = g_strconcat (file, ".part", NULL);

      if (g_str_equal (name, file) || g_str_equal (name, part))
        return TRUE;
    }
  return FALSE;
}

/* Whether @path is a file Clapboard made for the take @uid (whose task id
 * is @task_id, or NULL): directly in @results_dir, named after the take,
 * and, when it exists, a regular file rather than a link. With
 * @must_exist, a path where nothing is is not one either. */
gboolean
_clap_results_is_own (const char *results_dir,
                      const char *uid,
                      const char *task_id,
                      const char *path,
                      gboolean    must_exist)
{
  g_autofree char *name = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *where = NULL;
  g_autofree char *results = NULL;
  GStatBuf st;

  if (results_dir == NULL || path == NULL || !g_path_is_absolute (path))
    return FALSE;

  name = g_path_get_basename (path);
  if (!(clap_task_id_is_valid (uid) && is_own_name (name, uid)) &&
      !(clap_task_id_is_valid (task_id) && is_own_name (name, task_id)))
    return FALSE;

  dir = g_path_get_dirname (path);
  where = canonical_dir (dir);
  results = canonical_dir (results_dir);
  if (!g_str_equal (where, results))
    return FALSE;

  if (g_lstat (path, &st) != 0)
    return !must_exist && errno == ENOENT;

  return S_ISREG (st.st_mode);
}

/* Removes @path, and its .part, when they are files Clapboard made for the
 * take (see _clap_results_is_own()); anything else is left alone. TRUE
 * when @path was removed. */
gboolean
_clap_results_remove (const char *results_dir,
                      const char *uid,
                      const char *task_id,
                      const char *path)
{
  g_autofree char *part = NULL;
  gboolean removed = FALSE;

  if (path == NULL)
    return FALSE;

  if (_clap_results_is_own (results_dir, uid, task_id, path, TRUE))
    removed = g_unlink (path) == 0;
  else
    g_debug ("Leaving %s alone: not a file Clapboard made", path);

  part = g_strconcat (path, ".part", NULL);
  if (_clap_results_is_own (results_dir, uid, task_id, part, TRUE))
    g_unlink (part);

  return removed;
}

/* The most the result of @task may weigh: generous for its length (30 s
 * when unknown), never more than the absolute ceiling. A body past it is
 * refused, and not fetched again. */
guint64
_clap_results_max_bytes (ClapTask *task)
{
  g_autoptr(ClapRequest) request = clap_task_dup_request (task);
  guint64 seconds = request ? clap_request_get_effective_duration (request) : 0;

  if (seconds == 0)
    seconds = 30;
  return MIN (CLAP_RESULT_MAX_BYTES,
              CLAP_RESULT_BYTES_SLACK + seconds * CLAP_RESULT_BYTES_PER_SECOND);
}
