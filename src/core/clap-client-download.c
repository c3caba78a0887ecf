/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-client"

#include "config.h"

/* F_OFD_SETLK (Linux 3.15, glibc 2.20) */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>

#include "clap-client-private.h"
#include "clap-media.h"

/* Downloads of results and thumbnails. The bytes come from a server that
 * may send anything, for as long as it likes, so:
 * - they stream to "NAME.part", resume it with a Range request, and are
 *   renamed into place only when complete and verified: a result is never
 *   held whole in memory, and a video whose own structure runs past what
 *   arrived is never kept;
 * - the caller's max_bytes caps them: a Content-Length (plus what the
 *   .part holds) past it is refused before a byte is written, and a body
 *   that passes it while streaming is stopped and its .part deleted;
 * - the first bytes of a fresh download must be what was asked for (an
 *   MP4/MOV container, or a picture), else nothing is kept: a page sent
 *   with the wrong type, or any other junk, never becomes a take's clip;
 * - the disk keeps room for the history beside the results: the free space
 *   is checked when the answer comes and every SPACE_CHECK_BYTES after,
 *   and writing stops before the reserve is touched. A server that can
 *   resume gets what fits now (its link may expire before space is made),
 *   the rest later; one that cannot is refused before a byte when the
 *   whole does not fit;
 * - two processes (the window and clapboard-cli share the results folder)
 *   never write one .part: each download holds a lock that the kernel
 *   drops with its owner, and that leaves no file per download behind.
 * None of these three refusals is tried again: the server would send the
 * same.
 */

#define DOWNLOAD_CHUNK_SIZE (256 * 1024)
/* The free space is checked again after this much is written. */
#define SPACE_CHECK_BYTES   ((guint64) 4 * 1024 * 1024)
/* What a download of unknown length is expected to need. */
#define UNKNOWN_SIZE_GUESS  ((guint64) 32 * 1024 * 1024)
/* Enough to tell a video or a picture by its start (WebP needs 12). */
#define HEAD_BYTES          12
/* The byte offsets of the locks in the lock file: 62 bits of the name's
 * hash, far below the largest offset a lock may take. */
#define LOCK_OFFSET_MASK    ((G_GUINT64_CONSTANT (1) << 62) - 1)

/* Locks ------------------------------------------------------------------- */

/* 64-bit FNV-1a: a stable number for a name. */
static guint64
name_hash (const char *name)
{
  guint64 hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (const guchar *p = (const guchar *) name; *p != '\0'; p++)
    {
      hash ^= *p;
      hash *= G_GUINT64_CONSTANT (0x100000001b3);
    }

  return hash;
}

/* Takes the lock of @destination: one byte, at an offset given by the
 * hash of its name, of its folder's single lock file
 * (_CLAP_DOWNLOAD_LOCK_NAME). An open file description lock, so it belongs
 * to this descriptor alone (two downloads in one process exclude each
 * other too) and the kernel lets go of it when the descriptor closes,
 * however its process ends; the file itself stays, empty, for the next
 * download. Returns the descriptor, or -1 with CLAP_CLIENT_ERROR_BUSY when
 * another download holds it, or CLAP_CLIENT_ERROR_DISK. Blocking: a few
 * system calls on a local folder. */
int
_clap_download_lock (GFile   *destination,
                     GError **error)
{
  g_autoptr(GFile) folder = g_file_get_parent (destination);
  g_autofree char *folder_path = folder != NULL ? g_file_get_path (folder) : NULL;
  g_autofree char *name = g_file_get_basename (destination);
  g_autofree char *shown = g_file_get_parse_name (destination);
  g_autofree char *lock_path = NULL;
  struct flock lock = { 0 };
  int fd;
  int saved;

  if (folder_path == NULL)
    {
      g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                   _("“%s” could not be written: %s"), shown, _("not a local file"));
      return -1;
    }

  lock_path = g_build_filename (folder_path, _CLAP_DOWNLOAD_LOCK_NAME, NULL);
  fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                   _("“%s” could not be written: %s"), shown, g_strerror (saved));
      return -1;
    }

  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = (off_t) (name_hash (name) & LOCK_OFFSET_MASK);
  lock.l_len = 1;
  if (fcntl (fd, F_OFD_SETLK, &lock) != 0)
    {
      saved = errno;
      close (fd);

      if (saved == EAGAIN || saved == EACCES)
        g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_BUSY,
                     _("Another Clapboard is downloading “%s”; it will be there soon."), shown);
      else
        g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                     _("“%s” could not be written: %s"), shown, g_strerror (saved));
      return -1;
    }

  return fd;
}

/* Older versions locked "DESTINATION.lock" with flock() and removed it
 * when done, unless killed first. Removes @path if it is such a file
 * (empty, regular) and no process holds it; FALSE when one does: an older
 * Clapboard is downloading that destination right now. */
static gboolean
remove_legacy_lock (const char *path)
{
  struct stat st;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return TRUE;

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size != 0)
    {
      close (fd);
      return TRUE;
    }

  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      gboolean held = errno == EWOULDBLOCK;

      close (fd);
      return !held;
    }

  /* Removed while held, as the older versions did themselves. */
  g_debug ("Removing a stale lock file, %s", path);
  g_unlink (path);
  close (fd);
  return TRUE;
}

/* Once a process, in each folder it downloads to: lock files that older
 * versions left for the results and thumbnails they had finished. */
static void
sweep_legacy_locks (const char *folder_path)
{
  static GMutex mutex;
  static GHashTable *swept;
  g_autoptr(GDir) dir = NULL;
  gboolean done;
  const char *name;

  g_mutex_lock (&mutex);
  if (swept == NULL)
    swept = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  done = !g_hash_table_add (swept, g_strdup (folder_path));
  g_mutex_unlock (&mutex);
  if (done)
    return;

  dir = g_dir_open (folder_path, 0, NULL);
  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (g_str_has_suffix (name, ".mp4.lock") || g_str_has_suffix (name, ".jpg.lock"))
        {
          g_autofree char *path = g_build_filename (folder_path, name, NULL);
          remove_legacy_lock (path);
        }
    }
}

/* Worker: the lock, then what older versions left. */
static void
download_prepare_thread (GTask        *prepare,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  GFile *destination = task_data;
  g_autoptr(GFile) folder = g_file_get_parent (destination);
  g_autofree char *path = g_file_get_path (destination);
  g_autofree char *legacy = NULL;
  GError *error = NULL;
  int fd;

  fd = _clap_download_lock (destination, &error);
  if (fd < 0)
    {
      g_task_return_error (prepare, error);
      return;
    }

  legacy = g_strconcat (path, ".lock", NULL);
  if (!remove_legacy_lock (legacy))
    {
      g_autofree char *shown = g_file_get_parse_name (destination);

      close (fd);
      g_task_return_new_error (prepare, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_BUSY,
                               _("Another Clapboard is downloading “%s”; it will be there "
                                 "soon."), shown);
      return;
    }

  if (folder != NULL)
    {
      g_autofree char *folder_path = g_file_get_path (folder);
      sweep_legacy_locks (folder_path);
    }

  g_task_return_int (prepare, fd);
}

/* Errors ------------------------------------------------------------------- */

static GError *
disk_full_error (ClapCall *call)
{
  g_autofree char *name = g_file_get_parse_name (call->destination);

  return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                      _("The disk is full: “%s” could not be saved. Free some space; the "
                        "download will resume where it stopped."), name);
}

static GError *
disk_error (ClapCall *call,
            GError   *error)
{
  g_autofree char *name = g_file_get_parse_name (call->destination);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    return disk_full_error (call);

  return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                      _("“%s” could not be written: %s"), name, error->message);
}

static GError *
too_large_error (ClapCall *call)
{
  g_autofree char *size = g_format_size (call->max_bytes);

  if (call->download_kind == CLAP_DOWNLOAD_KIND_PICTURE)
    return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TOO_LARGE,
                        _("The service sent more than %s for this clip's thumbnail, far more "
                          "than a thumbnail can be; nothing was kept."), size);

  return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TOO_LARGE,
                      _("The service sent more than %s for this clip, far more than a clip of "
                        "its length can be; nothing was kept."), size);
}

static GError *
not_video_error (ClapDownloadKind kind)
{
  if (kind == CLAP_DOWNLOAD_KIND_PICTURE)
    return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_VIDEO,
                        _("The service sent something that is not a picture for the clip's "
                          "thumbnail; nothing was kept."));

  return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_VIDEO,
                      _("The service sent something that is not a video; nothing was kept."));
}

/* Whether a file of @kind may start with these @size bytes. */
static gboolean
head_matches (ClapDownloadKind  kind,
              const guint8     *head,
              gsize             size)
{
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  if (kind == CLAP_DOWNLOAD_KIND_VIDEO)
    return size >= 8 && memcmp (head + 4, "ftyp", 4) == 0;

  return (size >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff) ||
         (size >= sizeof png && memcmp (head, png, sizeof png) == 0) ||
         (size >= 12 && memcmp (head, "RIFF", 4) == 0 && memcmp (head + 8, "WEBP", 4) == 0);
}

/* Drops the streams of an attempt that ended; the .part stays for a resume. */
void
_clap_download_reset (ClapCall *call)
{
  if (call->output != NULL)
    g_output_stream_close (call->output, NULL, NULL);
  g_clear_object (&call->output);
  g_clear_object (&call->input);
  g_clear_pointer (&call->head, g_byte_array_unref);
  g_clear_pointer (&call->pending, g_bytes_unref);
  call->full_after_write = FALSE;
}

/* Ends the download with @error, which the server would only send again:
 * what arrived is deleted, and it is not tried again. */
static void
download_refuse (GTask  *task,
                 GError *error)
{
  ClapCall *call = g_task_get_task_data (task);

  _clap_download_reset (call);
  g_file_delete (call->part, NULL, NULL);
  _clap_call_return_error (task, error);
}

/* Ends the attempt with a local error that waiting will not mend (a full
 * disk, an unwritable folder): the .part keeps what arrived. */
static void
download_stop (GTask  *task,
               GError *error)
{
  _clap_download_reset (g_task_get_task_data (task));
  _clap_call_return_error (task, error);
}

/* Free space --------------------------------------------------------------- */

/* Sets what may be written before the next look at the free space, and
 * returns all that may be written (G_MAXUINT64 when the file system does
 * not say). */
static guint64
set_space_budget (ClapCall  *call,
                  GFileInfo *info)
{
  guint64 free_bytes, reserve, budget;

  if (info == NULL || !g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    {
      call->space_checked = FALSE;
      return G_MAXUINT64;
    }

  free_bytes = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  reserve = _clap_client_get_disk_reserve (call->client,
                                           g_file_info_get_attribute_uint64 (
                                             info, G_FILE_ATTRIBUTE_FILESYSTEM_SIZE));
  budget = free_bytes > reserve ? free_bytes - reserve : 0;

  call->space_checked = TRUE;
  call->space_left = MIN (budget, SPACE_CHECK_BYTES);
  call->space_final = budget <= SPACE_CHECK_BYTES;
  return budget;
}

static void
query_free_space (GTask               *task,
                  GAsyncReadyCallback  callback)
{
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GFile) folder = g_file_get_parent (call->destination);

  g_file_query_filesystem_info_async (folder,
                                      G_FILE_ATTRIBUTE_FILESYSTEM_FREE ","
                                      G_FILE_ATTRIBUTE_FILESYSTEM_SIZE,
                                      G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                      callback, g_object_ref (task));
}

/* What the worker that verifies a finished .part reads. */
typedef struct {
  GFile            *part;
  ClapDownloadKind  kind;
} Verify;

static void
verify_free (Verify *verify)
{
  g_object_unref (verify->part);
  g_free (verify);
}

/* A download, in the order it happens ------------------------------------- */

static void download_prepared        (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);
static void download_part_measured   (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);
static void download_space_measured  (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);
static void download_part_deleted    (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);
static void download_opened          (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);
static void download_read            (GTask        *task);
static void download_chunk_read      (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);
static void download_write           (GTask        *task,
                                      GBytes       *chunk);
static void download_space_rechecked (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);
static void download_written         (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);
static void download_body_ended      (GTask        *task);
static void download_closed          (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);
static void download_verify_thread   (GTask        *task,
                                      gpointer      source_object,
                                      gpointer      task_data,
                                      GCancellable *cancellable);
static void download_verified        (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);
static void download_moved           (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);

/* Streams @url into @destination through "DESTINATION.part", resuming a
 * .part left by an earlier attempt or run where the server allows ranges,
 * and renames it into place once whole and verified.
 *
 * At most @max_bytes are accepted (see clap_client_result_max_bytes() and
 * CLAP_THUMBNAIL_MAX_BYTES): more fails with CLAP_CLIENT_ERROR_TOO_LARGE.
 * A body that does not start as @kind fails with
 * CLAP_CLIENT_ERROR_NOT_VIDEO; a redirect to an address that is not
 * secure with CLAP_CLIENT_ERROR_INSECURE_URL. Those three leave nothing
 * behind and are not tried again. Too little room on the disk fails with
 * CLAP_CLIENT_ERROR_DISK, the .part kept for a later resume; another
 * process downloading the same destination with CLAP_CLIENT_ERROR_BUSY.
 * The destination's folder keeps one empty lock file,
 * ".clapboard-downloads.lock", shared by all its downloads. */
void
clap_client_download_async (ClapClient          *self,
                            const char          *url,
                            GFile               *destination,
                            guint64              max_bytes,
                            ClapDownloadKind     kind,
                            ClapProgressFunc     progress,
                            gpointer             progress_data,
                            GDestroyNotify       progress_notify,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) prepare = NULL;
  g_autofree char *part_path = NULL;
  g_autofree char *path = NULL;
  ClapCall *call;

  g_return_if_fail (CLAP_IS_CLIENT (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (G_IS_FILE (destination));
  g_return_if_fail (max_bytes > 0);

  task = _clap_call_new (self, _CLAP_CALL_DOWNLOAD, "GET", url, TRUE, clap_client_download_async,
                         cancellable, callback, user_data);
  call = g_task_get_task_data (task);
  call->destination = g_object_ref (destination);
  call->max_bytes = max_bytes;
  call->download_kind = kind;
  path = g_file_get_path (destination);
  part_path = g_strconcat (path, ".part", NULL);
  call->part = g_file_new_for_path (part_path);
  call->progress = progress;
  call->progress_data = progress_data;
  call->progress_notify = progress_notify;

  /* The lock comes back even when the call was cancelled meanwhile, so
   * that its descriptor is closed with the call. */
  prepare = g_task_new (NULL, cancellable, download_prepared, g_object_ref (task));
  g_task_set_source_tag (prepare, clap_client_download_async);
  g_task_set_check_cancellable (prepare, FALSE);
  g_task_set_task_data (prepare, g_object_ref (destination), g_object_unref);
  g_task_run_in_thread (prepare, download_prepare_thread);
}

static void
download_prepared (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  GError *error = NULL;
  int fd;

  fd = (int) g_task_propagate_int (G_TASK (result), &error);
  if (fd < 0)
    {
      g_task_return_error (task, error);
      return;
    }

  call->lock_fd = fd;
  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    _clap_call_return_error (task, error);
  else
    _clap_call_send (task);
}

/* Each attempt starts from what the .part holds. */
void
_clap_download_begin_attempt (GTask *task)
{
  ClapCall *call = g_task_get_task_data (task);

  /* The .part itself, not what a link there would point at. */
  g_file_query_info_async (call->part,
                           G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                           G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), download_part_measured,
                           g_object_ref (task));
}

static void
download_part_measured (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GFileInfo) info = NULL;

  info = g_file_query_info_finish (G_FILE (source), result, NULL);
  /* Only a regular file is resumed: anything else (a link to another file)
   * is removed, never appended to, when the download starts afresh. */
  call->offset = info != NULL && g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR
                 ? g_file_info_get_size (info) : 0;
  /* A .part past the cap is no prefix of anything that may be kept. */
  if (call->offset < 0 || (guint64) call->offset >= call->max_bytes)
    call->offset = 0;
  call->received = call->offset;
  call->total = -1;

  if (call->offset > 0)
    g_debug ("Resuming %s at byte %" G_GOFFSET_FORMAT, call->url, call->offset);

  _clap_call_send_hop (task);
}

/* The start of a "Content-Range: bytes START-END/TOTAL" header, or -1. */
static goffset
content_range_start (SoupMessage *message)
{
  goffset start = -1, end = -1, total = -1;

  if (!soup_message_headers_get_content_range (soup_message_get_response_headers (message),
                                               &start, &end, &total))
    return -1;
  return start;
}

/* The answer's headers are in (redirects followed): decide, before a byte
 * is written, whether it is the file and whether it may be kept. */
void
_clap_download_answered (GTask *task)
{
  ClapCall *call = g_task_get_task_data (task);
  SoupMessageHeaders *headers = soup_message_get_response_headers (call->message);
  g_autoptr(GError) error = NULL;
  const char *content_type;
  const char *ranges;
  guint status = call->status;
  goffset length;

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && call->offset > 0)
    {
      /* The .part is not a prefix of this file: start again from zero. */
      g_file_delete (call->part, NULL, NULL);
      _clap_call_fail (task, g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_SERVER,
                                          _("The partial download did not match; starting "
                                            "again.")));
      return;
    }

  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT)
    {
      if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_FORBIDDEN ||
          status == SOUP_STATUS_GONE)
        error = g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_EXPIRED,
                             _("The result is no longer available (HTTP %u): its link has "
                               "expired."), status);
      else
        clap_client_error_from_http (status, NULL, &error);

      _clap_call_fail (task, g_steal_pointer (&error));
      return;
    }

  if (status == SOUP_STATUS_PARTIAL_CONTENT && content_range_start (call->message) != call->offset)
    {
      g_file_delete (call->part, NULL, NULL);
      _clap_call_fail (task, g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                                          _("The server resumed the download at the wrong "
                                            "place; starting again.")));
      return;
    }

  /* An error page or an API message answered with 200 (a proxy, a captive
   * portal, an overloaded gateway) is not the file: never keep it. */
  content_type = soup_message_headers_get_content_type (headers, NULL);
  if (content_type != NULL &&
      (g_str_equal (content_type, "text/html") || g_str_equal (content_type, "application/json")))
    {
      _clap_call_fail (task, g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                                          _("The server sent a page (%s) instead of the file."),
                                          content_type));
      return;
    }

  /* A server that ignores Range sends the whole file: start over. */
  if (status == SOUP_STATUS_OK)
    call->offset = 0;

  call->received = call->offset;
  length = soup_message_headers_get_content_length (headers);
  if (length > 0 || soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    call->total = call->offset + length;
  else
    call->total = -1;

  /* Refused before a byte is written. */
  if (call->total >= 0 && (guint64) call->total > call->max_bytes)
    {
      download_refuse (task, too_large_error (call));
      return;
    }

  ranges = soup_message_headers_get_one (headers, "Accept-Ranges");
  call->resumable = status == SOUP_STATUS_PARTIAL_CONTENT ||
                    (ranges != NULL && strstr (ranges, "bytes") != NULL);
  if (call->offset == 0)
    call->head = g_byte_array_sized_new (HEAD_BYTES);

  query_free_space (task, download_space_measured);
}

static void
download_space_measured (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  guint64 budget, need;

  info = g_file_query_filesystem_info_finish (G_FILE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      download_stop (task, g_steal_pointer (&error));
      return;
    }

  budget = set_space_budget (call, info);
  need = call->total >= 0 ? (guint64) (call->total - call->offset)
                          : MIN (call->max_bytes, UNKNOWN_SIZE_GUESS);
  if (budget == 0 || (!call->resumable && budget < need))
    {
      g_debug ("%" G_GUINT64_FORMAT " bytes may be written, %" G_GUINT64_FORMAT " are needed",
               budget, need);
      download_stop (task, disk_full_error (call));
      return;
    }

  if (call->offset > 0)
    g_file_append_to_async (call->part, G_FILE_CREATE_NONE, G_PRIORITY_DEFAULT,
                            g_task_get_cancellable (task), download_opened, g_object_ref (task));
  else
    g_file_delete_async (call->part, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                         download_part_deleted, g_object_ref (task));
}

/* A fresh start writes into the .part itself: replacing it would write to a
 * hidden temporary file renamed only on close, which a crash leaves behind
 * in the results folder, with what had arrived. */
static void
download_part_deleted (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_file_delete_finish (G_FILE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      download_stop (task, disk_error (call, error));
      return;
    }

  g_file_create_async (call->part, G_FILE_CREATE_NONE, G_PRIORITY_DEFAULT,
                       g_task_get_cancellable (task), download_opened, g_object_ref (task));
}

static void
download_opened (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GFileOutputStream) output = NULL;
  g_autoptr(GError) error = NULL;

  if (call->offset > 0)
    output = g_file_append_to_finish (G_FILE (source), result, &error);
  else
    output = g_file_create_finish (G_FILE (source), result, &error);

  if (output == NULL)
    {
      download_stop (task, disk_error (call, error));
      return;
    }

  call->output = G_OUTPUT_STREAM (g_steal_pointer (&output));
  download_read (task);
}

static void
download_read (GTask *task)
{
  ClapCall *call = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (call->input, DOWNLOAD_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_chunk_read,
                                   g_object_ref (task));
}

static void
download_chunk_read (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  guint64 held;
  gsize size;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (bytes == NULL)
    {
      _clap_call_fail (task, _clap_transport_error (error));
      return;
    }

  size = g_bytes_get_size (bytes);
  if (size == 0)
    {
      download_body_ended (task);
      return;
    }

  /* A body without a length, or longer than it said: stopped at the cap. */
  held = (guint64) call->received + (call->head != NULL ? call->head->len : 0);
  if (held + size > call->max_bytes)
    {
      download_refuse (task, too_large_error (call));
      return;
    }

  /* Nothing of a fresh download is written before its start is seen. */
  if (call->head != NULL)
    {
      g_byte_array_append (call->head, g_bytes_get_data (bytes, NULL), size);
      if (call->head->len < HEAD_BYTES)
        {
          download_read (task);
          return;
        }

      if (!head_matches (call->download_kind, call->head->data, call->head->len))
        {
          download_refuse (task, not_video_error (call->download_kind));
          return;
        }

      g_clear_pointer (&bytes, g_bytes_unref);
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&call->head));
    }

  download_write (task, g_steal_pointer (&bytes));
}

/* Writes @chunk (taken) to the .part, within the room the disk has left. */
static void
download_write (GTask  *task,
                GBytes *chunk)
{
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = chunk;
  gsize size = g_bytes_get_size (bytes);

  if (call->space_checked && size > call->space_left)
    {
      if (!call->space_final)
        {
          call->pending = g_steal_pointer (&bytes);
          query_free_space (task, download_space_rechecked);
          return;
        }

      if (call->space_left == 0)
        {
          download_stop (task, disk_full_error (call));
          return;
        }

      /* What fits, and no more: the .part keeps a true prefix to resume. */
      g_debug ("Writing %" G_GUINT64_FORMAT " bytes of %s, then stopping before the disk's "
               "reserve", call->space_left, call->url);
      {
        GBytes *fits = g_bytes_new_from_bytes (bytes, 0, call->space_left);

        g_bytes_unref (bytes);
        bytes = fits;
        size = g_bytes_get_size (bytes);
      }
      call->full_after_write = TRUE;
    }

  if (call->space_checked)
    call->space_left -= size;

  g_output_stream_write_all_async (call->output, g_bytes_get_data (bytes, NULL), size,
                                   G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                   download_written, g_object_ref (task));
  /* The write keeps reading from @bytes: hold them until it finishes. */
  g_object_set_data_full (G_OBJECT (task), "chunk", g_steal_pointer (&bytes),
                          (GDestroyNotify) g_bytes_unref);
}

static void
download_space_rechecked (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = g_file_query_filesystem_info_finish (G_FILE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      download_stop (task, g_steal_pointer (&error));
      return;
    }

  if (set_space_budget (call, info) == 0)
    {
      download_stop (task, disk_full_error (call));
      return;
    }

  download_write (task, g_steal_pointer (&call->pending));
}

static void
download_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gsize written = 0;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, &written, &error))
    {
      /* A full disk is not transient: the take stays not downloaded and is
       * resumed later, from the .part file. */
      download_stop (task, disk_error (call, error));
      return;
    }

  call->received += (goffset) written;
  if (call->progress != NULL)
    call->progress (call->received, call->total, call->progress_data);

  if (call->full_after_write)
    {
      download_stop (task, disk_full_error (call));
      return;
    }

  download_read (task);
}

static void
download_body_ended (GTask *task)
{
  ClapCall *call = g_task_get_task_data (task);

  /* A whole body shorter than what tells a video from anything else. */
  if (call->head != NULL)
    {
      if (!head_matches (call->download_kind, call->head->data, call->head->len))
        download_refuse (task, not_video_error (call->download_kind));
      else
        download_write (task, g_byte_array_free_to_bytes (g_steal_pointer (&call->head)));
      return;
    }

  if (call->total >= 0 && call->received != call->total)
    {
      _clap_call_fail (task, g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NETWORK,
                                          _("The connection closed before the whole file "
                                            "arrived.")));
      return;
    }

  g_debug ("< downloaded %" G_GOFFSET_FORMAT " bytes of %s in %.0f ms", call->received,
           call->url, (g_get_monotonic_time () - call->started_us) / 1000.0);
  g_clear_object (&call->input);
  g_output_stream_close_async (call->output, G_PRIORITY_DEFAULT,
                               g_task_get_cancellable (task), download_closed,
                               g_object_ref (task));
}

static void
download_closed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GTask) verify_task = NULL;
  g_autoptr(GError) error = NULL;
  Verify *verify;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, &error))
    {
      download_stop (task, disk_error (call, error));
      return;
    }

  g_clear_object (&call->output);

  verify = g_new0 (Verify, 1);
  verify->part = g_object_ref (call->part);
  verify->kind = call->download_kind;
  verify_task = g_task_new (NULL, g_task_get_cancellable (task), download_verified,
                            g_object_ref (task));
  g_task_set_source_tag (verify_task, download_closed);
  g_task_set_task_data (verify_task, verify, (GDestroyNotify) verify_free);
  g_task_run_in_thread (verify_task, download_verify_thread);
}

/* Worker: the whole file is what was asked for (a resumed .part was
 * started by an earlier attempt, perhaps of an older version, whose first
 * bytes were never seen here), and a video whose own structure says it is
 * longer than what arrived (an MP4 cut short by a server that still sent a
 * matching Content-Length) is not the file. */
static void
download_verify_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  Verify *verify = task_data;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  guint8 head[HEAD_BYTES];
  gsize n = 0;
  ClapMediaInfo info;

  stream = g_file_read (verify->part, cancellable, &error);
  if (stream == NULL ||
      !g_input_stream_read_all (G_INPUT_STREAM (stream), head, sizeof head, &n, cancellable,
                                &error))
    {
      g_task_return_new_error (task, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                               "%s", error->message);
      return;
    }
  g_clear_object (&stream);

  if (!head_matches (verify->kind, head, n))
    {
      g_task_return_error (task, not_video_error (verify->kind));
      return;
    }

  /* Formats the probe does not know are taken as they are. */
  if (!clap_media_probe_file (verify->part, &info, cancellable, &error) &&
      g_error_matches (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_CORRUPT))
    {
      g_task_return_new_error (task, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                               _("The server sent an incomplete file: %s"), error->message);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
download_verified (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* A cancelled check says nothing of the file: keep it. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _clap_call_fail (task, error);
      else if (g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_VIDEO))
        download_refuse (task, error);
      else
        {
          /* Not a prefix to resume from: the next attempt starts again. */
          g_file_delete (call->part, NULL, NULL);
          _clap_call_fail (task, error);
        }
      return;
    }

  g_file_move_async (call->part, call->destination, G_FILE_COPY_OVERWRITE,
                     G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                     NULL, NULL, download_moved, g_object_ref (task));
}

static void
download_moved (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_file_move_finish (G_FILE (source), result, &error))
    _clap_call_return_error (task, disk_error (call, error));
  else
    _clap_call_return_boolean (task);
}

gboolean
clap_client_download_finish (ClapClient    *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
