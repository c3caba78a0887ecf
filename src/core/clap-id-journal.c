/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-id-journal"

#include "config.h"

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "clap-id-journal-private.h"
#include "clap-store.h"
#include "clap-untrusted.h"

/* A paid task's id, once the service gave it, is never lost, not even on a
 * full disk. The history may fail to take it (SQLite needs new pages for
 * any write); this file beside it never does, because its room is taken
 * while there is some: it is allocated in full (posix_fallocate) whenever
 * the history is opened, and then only ever written in place.
 *
 * The file ("history.db-ids"): a header of 256 bytes, then
 * CLAP_ID_JOURNAL_SLOTS slots of 256 bytes. A slot, little-endian:
 *
 *   0   u32  SLOT_USED, or 0 when free
 *   4   u32  CRC-32 of bytes 8 to 255
 *   8   i64  when the id was given, ms since the epoch
 *   16  i64  the take's submission (attempt)
 *   24  u8   length of the take's uid, then the uid (at most 63 bytes)
 *   88  u8   length of the task id, then the id (at most 128 bytes)
 *
 * A slot is written with one pwrite() and made durable (fdatasync) before
 * the history is written, and cleared once the history has the id. A slot
 * whose checksum fails (a write cut by a crash) is free. Several processes
 * share the history, so a slot is taken and cleared under a lock the
 * kernel releases with its owner (an open file description lock): nothing
 * here outlives a process that is killed.
 *
 * Whenever the history is opened, the ids found here are given to their
 * takes (see clap-store.c). */

#define HEADER_SIZE   256
#define SLOT_SIZE     256
#define FILE_SIZE     (HEADER_SIZE + CLAP_ID_JOURNAL_SLOTS * SLOT_SIZE)
#define MAGIC         "CLAPIDS1"
#define SLOT_USED     0x534c4f54u  /* "TOLS" */

#define OFFSET_CRC     4
#define OFFSET_TIME    8
#define OFFSET_ATTEMPT 16
#define OFFSET_UID     24
#define MAX_UID        63
#define OFFSET_ID      88
#define MAX_ID         CLAP_TASK_ID_MAX_LENGTH

G_STATIC_ASSERT (OFFSET_UID + 1 + MAX_UID <= OFFSET_ID);
G_STATIC_ASSERT (OFFSET_ID + 1 + MAX_ID <= SLOT_SIZE);

struct _ClapIdJournal
{
  char    *path;
  int      fd;
  gboolean ready;  /* allocated in full and writable */
  GMutex   lock;   /* the writer thread and the thread that opens the store */
};

static guint32
crc32 (const guint8 *data,
       gsize         length)
{
  guint32 crc = 0xffffffffu;

  for (gsize i = 0; i < length; i++)
    {
      crc ^= data[i];
      for (guint k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
  return ~crc;
}

static guint32
read_u32 (const guint8 *p)
{
  guint32 v;

  memcpy (&v, p, sizeof v);
  return GUINT32_FROM_LE (v);
}

static void
write_u32 (guint8  *p,
           guint32  value)
{
  value = GUINT32_TO_LE (value);
  memcpy (p, &value, sizeof value);
}

static gint64
read_i64 (const guint8 *p)
{
  guint64 v;

  memcpy (&v, p, sizeof v);
  return (gint64) GUINT64_FROM_LE (v);
}

static void
write_i64 (guint8 *p,
           gint64  value)
{
  guint64 v = GUINT64_TO_LE ((guint64) value);

  memcpy (p, &v, sizeof v);
}

/* A lock on the whole file that the kernel drops when the file is closed
 * or its process dies. Blocks while another process holds it: a slot is
 * written in a few milliseconds. */
static gboolean
lock_file (int   fd,
           short type)
{
  struct flock fl = { 0 };
  int rc;

  fl.l_type = type;
  fl.l_whence = SEEK_SET;
#ifdef F_OFD_SETLKW
  do
    rc = fcntl (fd, F_OFD_SETLKW, &fl);
  while (rc != 0 && errno == EINTR);
  if (rc == 0 || errno != EINVAL)
    return rc == 0;
#endif
  /* A kernel without OFD locks: a process-wide lock, still released with
   * the process. */
  do
    rc = fcntl (fd, F_SETLKW, &fl);
  while (rc != 0 && errno == EINTR);
  return rc == 0;
}

static void
unlock_file (int fd)
{
  lock_file (fd, F_UNLCK);
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         length,
           off_t         offset)
{
  while (length > 0)
    {
      gssize n = pwrite (fd, data, length, offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= n;
      offset += n;
    }
  return TRUE;
}

static gboolean
read_all (int     fd,
          guint8 *data,
          gsize   length,
          off_t   offset)
{
  while (length > 0)
    {
      gssize n = pread (fd, data, length, offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= n;
      offset += n;
    }
  return TRUE;
}

/* Takes the journal's room while there is some, and writes its header.
 * Under the lock: another process may be doing the same. */
static gboolean
prepare (ClapIdJournal *self)
{
  guint8 header[HEADER_SIZE] = { 0 };
  struct stat st;
  int rc;

  if (fstat (self->fd, &st) != 0)
    return FALSE;

  if (st.st_size < FILE_SIZE || st.st_blocks * 512 < FILE_SIZE)
    {
      rc = posix_fallocate (self->fd, 0, FILE_SIZE);
      if (rc != 0)
        {
          g_debug ("%s: no room could be kept: %s", self->path, g_strerror (rc));
          return FALSE;
        }
    }

  if (!read_all (self->fd, header, sizeof header, 0))
    return FALSE;
  if (memcmp (header, MAGIC, strlen (MAGIC)) != 0)
    {
      memset (header, 0, sizeof header);
      memcpy (header, MAGIC, strlen (MAGIC));
      write_u32 (header + 8, SLOT_SIZE);
      write_u32 (header + 12, CLAP_ID_JOURNAL_SLOTS);
      if (!write_all (self->fd, header, sizeof header, 0) || fdatasync (self->fd) != 0)
        return FALSE;
    }

  return TRUE;
}

/* Opens the journal at @path, taking its room if it can. Never fails: a
 * journal that could not be opened or allocated reads as empty and keeps
 * nothing (see _clap_id_journal_is_ready()). With @read_only, nothing is
 * made or written. */
ClapIdJournal *
_clap_id_journal_open (const char *path,
                       gboolean    read_only)
{
  ClapIdJournal *self = g_new0 (ClapIdJournal, 1);

  self->path = g_strdup (path);
  g_mutex_init (&self->lock);

  if (!read_only)
    self->fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (read_only || self->fd < 0)
    {
      self->fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      return self;
    }

  if (lock_file (self->fd, F_WRLCK))
    {
      self->ready = prepare (self);
      unlock_file (self->fd);
    }

  return self;
}

void
_clap_id_journal_free (ClapIdJournal *self)
{
  if (self == NULL)
    return;

  if (self->fd >= 0)
    close (self->fd);
  g_mutex_clear (&self->lock);
  g_free (self->path);
  g_free (self);
}

const char *
_clap_id_journal_get_path (ClapIdJournal *self)
{
  return self->path;
}

/* Whether the journal can keep an id now. */
gboolean
_clap_id_journal_is_ready (ClapIdJournal *self)
{
  return self->ready;
}

void
_clap_id_entry_free (ClapIdEntry *entry)
{
  g_free (entry->uid);
  g_free (entry->task_id);
  g_free (entry);
}

static char *
read_text (const guint8 *p,
           guint         max)
{
  guint length = p[0];

  if (length == 0 || length > max)
    return NULL;
  return g_strndup ((const char *) p + 1, length);
}

/* The entry in @data, or NULL when the slot is free or damaged. */
static ClapIdEntry *
parse_slot (const guint8 *data,
            guint         slot)
{
  g_autofree char *uid = NULL;
  g_autofree char *task_id = NULL;
  ClapIdEntry *entry;

  if (read_u32 (data) != SLOT_USED ||
      read_u32 (data + OFFSET_CRC) != crc32 (data + OFFSET_TIME, SLOT_SIZE - OFFSET_TIME))
    return NULL;

  uid = read_text (data + OFFSET_UID, MAX_UID);
  task_id = read_text (data + OFFSET_ID, MAX_ID);
  /* As for any id from the network: never used unless it is a valid one. */
  if (uid == NULL || !clap_task_id_is_valid (uid) || !clap_task_id_is_valid (task_id))
    return NULL;

  entry = g_new0 (ClapIdEntry, 1);
  entry->slot = slot;
  entry->uid = g_steal_pointer (&uid);
  entry->task_id = g_steal_pointer (&task_id);
  entry->time = read_i64 (data + OFFSET_TIME);
  entry->attempt = read_i64 (data + OFFSET_ATTEMPT);
  return entry;
}

static gboolean
read_slots (ClapIdJournal *self,
            guint8        *slots)
{
  return self->fd >= 0 &&
         read_all (self->fd, slots, CLAP_ID_JOURNAL_SLOTS * SLOT_SIZE, HEADER_SIZE);
}

/* Every id the journal keeps, as ClapIdEntry. */
GPtrArray *
_clap_id_journal_read (ClapIdJournal *self)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) _clap_id_entry_free);
  g_autofree guint8 *slots = g_malloc (CLAP_ID_JOURNAL_SLOTS * SLOT_SIZE);
  gboolean read;

  if (self->fd < 0)
    return entries;

  g_mutex_lock (&self->lock);
  lock_file (self->fd, F_RDLCK);
  read = read_slots (self, slots);
  unlock_file (self->fd);
  g_mutex_unlock (&self->lock);

  for (guint i = 0; read && i < CLAP_ID_JOURNAL_SLOTS; i++)
    {
      ClapIdEntry *entry = parse_slot (slots + i * SLOT_SIZE, i);

      if (entry != NULL)
        g_ptr_array_add (entries, entry);
    }

  return entries;
}

/* Keeps @task_id for the take @uid (in its submission @attempt), durably,
 * before the history is written. Returns its slot, or -1 and an error when
 * it cannot be kept. */
gint
_clap_id_journal_keep (ClapIdJournal  *self,
                       const char     *uid,
                       const char     *task_id,
                       gint64          attempt,
                       GError        **error)
{
  g_autofree guint8 *slots = g_malloc (CLAP_ID_JOURNAL_SLOTS * SLOT_SIZE);
  guint8 data[SLOT_SIZE] = { 0 };
  gint chosen = -1;
  gboolean written = FALSE;
  int saved = 0;

  g_return_val_if_fail (uid != NULL && task_id != NULL, -1);

  if (!self->ready || strlen (uid) > MAX_UID || strlen (task_id) > MAX_ID)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_WRITE,
                   _("The task id could not be kept in “%s”."), self->path);
      return -1;
    }

  write_u32 (data, SLOT_USED);
  write_i64 (data + OFFSET_TIME, g_get_real_time () / 1000);
  write_i64 (data + OFFSET_ATTEMPT, attempt);
  data[OFFSET_UID] = (guint8) strlen (uid);
  memcpy (data + OFFSET_UID + 1, uid, strlen (uid));
  data[OFFSET_ID] = (guint8) strlen (task_id);
  memcpy (data + OFFSET_ID + 1, task_id, strlen (task_id));
  write_u32 (data + OFFSET_CRC, crc32 (data + OFFSET_TIME, SLOT_SIZE - OFFSET_TIME));

  g_mutex_lock (&self->lock);
  if (lock_file (self->fd, F_WRLCK))
    {
      if (read_slots (self, slots))
        for (guint i = 0; i < CLAP_ID_JOURNAL_SLOTS; i++)
          {
            g_autoptr(ClapIdEntry) entry = NULL;

            entry = parse_slot (slots + i * SLOT_SIZE, i);
            /* The same id of the same take: kept already. */
            if (entry != NULL && g_str_equal (entry->uid, uid) &&
                g_str_equal (entry->task_id, task_id))
              {
                chosen = (gint) i;
                break;
              }
            if (entry == NULL && chosen < 0)
              chosen = (gint) i;
          }

      if (chosen >= 0)
        {
          written = write_all (self->fd, data, sizeof data,
                               HEADER_SIZE + (off_t) chosen * SLOT_SIZE) &&
                    fdatasync (self->fd) == 0;
          saved = errno;
        }
      unlock_file (self->fd);
    }
  g_mutex_unlock (&self->lock);

  if (chosen < 0)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_WRITE,
                   _("The task id could not be kept: “%s” is full."), self->path);
      return -1;
    }
  if (!written)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_WRITE,
                   _("The task id could not be kept in “%s”: %s"), self->path,
                   g_strerror (saved));
      return -1;
    }

  return chosen;
}

/* Frees @slot once the history has the id, if it still holds @task_id of
 * @uid (another process may have freed and reused it meanwhile). */
gboolean
_clap_id_journal_forget (ClapIdJournal *self,
                         guint          slot,
                         const char    *uid,
                         const char    *task_id)
{
  guint8 data[SLOT_SIZE];
  gboolean forgotten = FALSE;

  g_return_val_if_fail (slot < CLAP_ID_JOURNAL_SLOTS, FALSE);

  if (self->fd < 0 || !self->ready)
    return FALSE;

  g_mutex_lock (&self->lock);
  if (lock_file (self->fd, F_WRLCK))
    {
      off_t offset = HEADER_SIZE + (off_t) slot * SLOT_SIZE;

      if (read_all (self->fd, data, sizeof data, offset))
        {
          g_autoptr(ClapIdEntry) entry = parse_slot (data, slot);

          if (entry != NULL && g_str_equal (entry->uid, uid) &&
              g_str_equal (entry->task_id, task_id))
            {
              memset (data, 0, sizeof data);
              forgotten = write_all (self->fd, data, sizeof data, offset) &&
                          fdatasync (self->fd) == 0;
            }
        }
      unlock_file (self->fd);
    }
  g_mutex_unlock (&self->lock);

  return forgotten;
}
