/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-store"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "clap-store-private.h"
#include "clap-untrusted.h"
#include "clap-util-private.h"

/* The history's schema: its migrations, and one table of the columns a take
 * is kept in. Reading a take, writing it, copying and freeing its record all
 * follow that table, so a new field is a member of ClapTaskRecord, a line
 * in columns[] and a migration that adds the column. */

#define SCHEMA_VERSION 6

typedef enum {
  COLUMN_TEXT,      /* char *, NULL as NULL */
  COLUMN_INT64,     /* gint64 */
  COLUMN_STATE,     /* ClapTaskState, kept as its name */
  COLUMN_URLS,      /* GStrv, kept as a JSON array */
  COLUMN_PROGRESS,  /* written from the record (see _clap_task_record_progress), never read */
  COLUMN_WRITER,    /* written as this process's token, read into the record */
  COLUMN_STAMP,     /* written as the next number of all writes, read into the record */
} ColumnType;

typedef enum {
  COLUMN_LAZY = 1 << 0,  /* not read with the take, and kept when written as NULL */
} ColumnFlags;

typedef struct {
  const char  *name;
  ColumnType   type;
  gsize        offset;    /* of its field in ClapTaskRecord */
  const char  *property;  /* of ClapTask, notified when another process changed it */
  ColumnFlags  flags;
} Column;

#define FIELD(member) G_STRUCT_OFFSET (ClapTaskRecord, member)

/* The columns of a take, in the order they are read and bound; "id" (the
 * row id) comes before them when read. */
static const Column columns[] = {
  { "uid",            COLUMN_TEXT,     FIELD (uid) },
  { "task_id",        COLUMN_TEXT,     FIELD (task_id),        "task-id" },
  { "state",          COLUMN_STATE,    FIELD (state),          "state" },
  { "model",          COLUMN_TEXT,     FIELD (model),          "model" },
  { "prompt",         COLUMN_TEXT,     FIELD (prompt),         "prompt" },
  /* read when the take's settings are needed (see load_settings()) */
  { "settings",       COLUMN_TEXT,     FIELD (settings_json),  NULL, COLUMN_LAZY },
  { "submit_time",    COLUMN_INT64,    FIELD (submit_time) },
  { "create_time",    COLUMN_INT64,    FIELD (create_time),    "create-time" },
  { "complete_time",  COLUMN_INT64,    FIELD (complete_time),  "complete-time" },
  { "result_urls",    COLUMN_URLS,     FIELD (result_urls),    "result-urls" },
  { "thumbnail_url",  COLUMN_TEXT,     FIELD (thumbnail_url),  "thumbnail-url" },
  { "local_file",     COLUMN_TEXT,     FIELD (local_file),     "local-file" },
  { "thumbnail_file", COLUMN_TEXT,     FIELD (thumbnail_file), "thumbnail-file" },
  { "fail_message",   COLUMN_TEXT,     FIELD (fail_message),   "fail-message" },
  { "error_message",  COLUMN_TEXT,     FIELD (error_message),  "error-message" },
  { "cost",           COLUMN_INT64,    FIELD (cost),           "cost" },
  { "saved_time",     COLUMN_INT64,    FIELD (saved_time),     "saved-time" },
  { "evicted_time",   COLUMN_INT64,    FIELD (evicted_time),   "evicted-time" },
  { "refused_time",   COLUMN_INT64,    FIELD (refused_time),   "refused-time" },
  { "warning",        COLUMN_TEXT,     FIELD (warning),        "warning" },
  { "service_state",  COLUMN_TEXT,     FIELD (service_state),  "service-state" },
  { "owner",          COLUMN_TEXT,     FIELD (owner) },
  { "attempt",        COLUMN_INT64,    FIELD (attempt) },
  { "progress",       COLUMN_PROGRESS, 0 },
  { "writer",         COLUMN_WRITER,   FIELD (writer) },
  { "stamp",          COLUMN_STAMP,    FIELD (stamp) },
};

#undef FIELD

static const char *const schema_v1[] = {
  "CREATE TABLE takes ("
  "  id INTEGER PRIMARY KEY,"
  "  uid TEXT NOT NULL UNIQUE,"
  "  task_id TEXT,"
  "  state TEXT NOT NULL,"
  "  model TEXT,"
  "  prompt TEXT,"
  "  settings TEXT,"
  "  submit_time INTEGER NOT NULL DEFAULT 0,"
  "  create_time INTEGER NOT NULL DEFAULT 0,"
  "  complete_time INTEGER NOT NULL DEFAULT 0,"
  "  result_urls TEXT,"
  "  thumbnail_url TEXT,"
  "  local_file TEXT,"
  "  thumbnail_file TEXT,"
  "  fail_message TEXT,"
  "  error_message TEXT,"
  "  cost INTEGER NOT NULL DEFAULT 0,"
  "  saved_time INTEGER NOT NULL DEFAULT 0"
  ")",
  "CREATE INDEX takes_task_id ON takes (task_id)",
  NULL
};

/* Version 2: the cache may drop a clip that is saved elsewhere. */
static const char *const schema_v2[] = {
  "ALTER TABLE takes ADD COLUMN evicted_time INTEGER NOT NULL DEFAULT 0",
  NULL
};

/* Version 3: which process is submitting a take, so that another one
 * resuming the same history leaves a live submission alone. */
static const char *const schema_v3[] = {
  "ALTER TABLE takes ADD COLUMN owner TEXT",
  NULL
};

/* Version 4: several processes, one history. Each write says which
 * process made it (writer), of which submission (attempt), how far the take
 * had come (progress, see _clap_task_record_progress()) and when, in the
 * order of all writes (stamp). */
static const char *const schema_v4[] = {
  "ALTER TABLE takes ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE takes ADD COLUMN progress INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE takes ADD COLUMN writer TEXT",
  "ALTER TABLE takes ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0",
  "CREATE INDEX takes_stamp ON takes (stamp)",
  NULL
};

/* Version 5: what the person should check about a take (warning), the
 * state the service named when Clapboard does not know it, and the
 * exchanges with the service (Request Details): an append-only list per
 * take, which goes with the take. */
static const char *const schema_v5[] = {
  "ALTER TABLE takes ADD COLUMN warning TEXT",
  "ALTER TABLE takes ADD COLUMN service_state TEXT",
  "CREATE TABLE exchanges ("
  "  uid TEXT NOT NULL,"
  "  seq INTEGER NOT NULL,"
  "  attempt INTEGER NOT NULL DEFAULT 0,"
  "  time INTEGER NOT NULL DEFAULT 0,"
  "  json TEXT NOT NULL,"
  "  PRIMARY KEY (uid, seq)"
  ")",
  "CREATE TRIGGER takes_exchanges_go_with_the_take AFTER DELETE ON takes"
  " BEGIN DELETE FROM exchanges WHERE uid = OLD.uid; END",
  NULL
};

/* Version 6: when Clapboard refused what the service sent as the result
 * (far larger than the clip can be, not a video, at an address that is not
 * secure): it is not fetched again by itself. */
static const char *const schema_v6[] = {
  "ALTER TABLE takes ADD COLUMN refused_time INTEGER NOT NULL DEFAULT 0",
  NULL
};

/* Each entry brings the schema from version i to i + 1. */
static const char *const *const migrations[] = {
  schema_v1,
  schema_v2,
  schema_v3,
  schema_v4,
  schema_v5,
  schema_v6,
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == SCHEMA_VERSION);

static gpointer
field (const ClapTaskRecord *record,
       const Column         *column)
{
  return (guint8 *) record + column->offset;
}

static gboolean
is_read (const Column *column)
{
  return column->type != COLUMN_PROGRESS && !(column->flags & COLUMN_LAZY);
}

static gboolean
exec (sqlite3     *db,
      const char  *sql,
      GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_WRITE,
                   _("The history could not be written: %s"), message ? message : "?");
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static gint
get_user_version (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  gint version = -1;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

/* Bytes free for this user in the file system of @dir, or G_MAXUINT64
 * when unknown. */
static guint64
free_bytes (const char *dir)
{
  struct statvfs st;

  if (statvfs (dir, &st) != 0)
    return G_MAXUINT64;
  return (guint64) st.f_bavail * st.f_frsize;
}

/* Whether @path, or its folder when it does not exist, cannot be written:
 * a read-only mount, or no permission. */
static gboolean
is_read_only (const char *path,
              const char *dir)
{
  struct statvfs st;

  if (statvfs (dir, &st) == 0 && (st.f_flag & ST_RDONLY) != 0)
    return TRUE;
  if (access (dir, W_OK) != 0 && errno != ENOENT)
    return TRUE;
  return access (path, F_OK) == 0 && access (path, W_OK) != 0;
}

/* SQLite's words ("disk I/O error", "file is not a database") tell a
 * person nothing they can act on: say what is wrong with the history and
 * what to do. */
void
_clap_store_set_open_error (sqlite3     *db,
                            const char  *path,
                            GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int code = db != NULL ? sqlite3_extended_errcode (db) : SQLITE_CANTOPEN;
  int primary = code & 0xff;
  int system = db != NULL ? sqlite3_system_errno (db) : 0;

  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
    g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_DAMAGED,
                 _("The history “%s” is damaged or is not a Clapboard history. It was left as "
                   "it is: move it away (or put back a copy you kept), and Clapboard starts a "
                   "new one."), path);
  else if (primary == SQLITE_FULL || system == ENOSPC || system == EDQUOT ||
           ((primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) &&
            free_bytes (dir) < 256 * 1024))
    g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_FULL,
                 _("The history “%s” cannot be opened: the disk is full. Free some space, then "
                   "try again."), path);
  else if (primary == SQLITE_READONLY || system == EACCES || system == EROFS || system == EPERM ||
           ((primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR) && is_read_only (path, dir)))
    g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_READ_ONLY,
                 _("The history “%s” cannot be written: it or its folder is read-only. Make "
                   "them writable; `clapboard-cli list` can still show it."), path);
  else
    g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_OPEN,
                 _("The history “%s” could not be opened: %s"), path,
                 db != NULL ? sqlite3_errmsg (db) : "?");
}

/* A history written by this version (or an older one, or a newer one when
 * only read) holds a table of takes. */
static gboolean
check_readable (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, "SELECT count(*) FROM sqlite_master", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  return rc == SQLITE_ROW;
}

/* Opens @path to read it only: what `clapboard-cli list` needs, which works
 * in a read-only folder too (where the history's shared-memory file cannot
 * be made: then the history is read as it is on disk). */
static sqlite3 *
open_for_reading (const char  *path,
                  GError     **error)
{
  g_autofree char *uri = NULL;
  g_autofree char *escaped = NULL;
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL) == SQLITE_OK)
    {
      sqlite3_busy_timeout (db, 10000);
      if (check_readable (db))
        return db;
      if ((sqlite3_extended_errcode (db) & 0xff) == SQLITE_NOTADB ||
          (sqlite3_extended_errcode (db) & 0xff) == SQLITE_CORRUPT)
        {
          _clap_store_set_open_error (db, path, error);
          sqlite3_close (db);
          return NULL;
        }
    }
  g_clear_pointer (&db, sqlite3_close);

  escaped = g_uri_escape_string (path, "/", FALSE);
  uri = g_strdup_printf ("file:%s?immutable=1", escaped);
  if (sqlite3_open_v2 (uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX,
                       NULL) != SQLITE_OK || !check_readable (db))
    {
      _clap_store_set_open_error (db, path, error);
      sqlite3_close (db);
      return NULL;
    }

  return db;
}

/* Opens @path, creating or migrating the schema in one transaction; with
 * @read_only, opens it as it is (it must exist), to read only. */
sqlite3 *
_clap_store_schema_open (const char  *path,
                         gboolean     read_only,
                         GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  sqlite3 *db = NULL;
  gint version;

  if (read_only)
    return open_for_reading (path, error);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_OPEN,
                   _("The history folder “%s” could not be made: %s"), dir, g_strerror (saved));
      return NULL;
    }

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                       SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
    goto fail;

  /* Another process (clapboard-cli) may write at the same time. */
  sqlite3_busy_timeout (db, 10000);

  if (!exec (db, "PRAGMA journal_mode=WAL", NULL) ||
      !exec (db, "PRAGMA synchronous=FULL", NULL) ||
      !exec (db, "BEGIN IMMEDIATE", NULL))
    goto fail;

  version = get_user_version (db);
  if (version < 0)
    {
      exec (db, "ROLLBACK", NULL);
      goto fail;
    }
  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_TOO_NEW,
                   _("The history “%s” was written by a newer version of Clapboard."), path);
      exec (db, "ROLLBACK", NULL);
      sqlite3_close (db);
      return NULL;
    }

  for (gint v = version; v < SCHEMA_VERSION; v++)
    {
      g_autofree char *pragma = g_strdup_printf ("PRAGMA user_version=%d", v + 1);

      for (guint i = 0; migrations[v][i] != NULL; i++)
        if (!exec (db, migrations[v][i], NULL))
          {
            _clap_store_set_open_error (db, path, error);
            exec (db, "ROLLBACK", NULL);
            sqlite3_close (db);
            return NULL;
          }
      if (!exec (db, pragma, NULL))
        {
          _clap_store_set_open_error (db, path, error);
          exec (db, "ROLLBACK", NULL);
          sqlite3_close (db);
          return NULL;
        }
    }

  if (!exec (db, "COMMIT", NULL))
    goto fail;

  /* The takes themselves can be read: a file cut short fails here. */
  if (!check_readable (db))
    goto fail;

  return db;

fail:
  _clap_store_set_open_error (db, path, error);
  sqlite3_close (db);
  return NULL;
}

/* Whether the table @table of @db has the column @name: a history only
 * read may be older or newer than this version. */
static gboolean
has_column (sqlite3    *db,
            const char *table,
            const char *name)
{
  g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM pragma_table_info ('%s') WHERE name = ?1",
                                          table);
  sqlite3_stmt *stmt = NULL;
  gboolean found = FALSE;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
      found = sqlite3_step (stmt) == SQLITE_ROW;
    }
  sqlite3_finalize (stmt);
  return found;
}

/* "SELECT id, COLUMNS… FROM takes @tail": every column a take is read from,
 * in the order _clap_store_schema_read() takes them; a column @db does not
 * have (a history only read, of another version) reads as NULL. */
char *
_clap_store_schema_select (sqlite3    *db,
                           const char *tail)
{
  GString *sql = g_string_new ("SELECT id");

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    if (is_read (&columns[i]))
      {
        if (has_column (db, "takes", columns[i].name))
          g_string_append_printf (sql, ", %s", columns[i].name);
        else
          g_string_append_printf (sql, ", NULL AS %s", columns[i].name);
      }
  g_string_append_printf (sql, " FROM takes %s", tail ? tail : "");
  return g_string_free (sql, FALSE);
}

static const char *
column_text (sqlite3_stmt *stmt,
             int           index)
{
  return (const char *) sqlite3_column_text (stmt, index);
}

static GStrv
urls_from_json (const char *text)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;

  /* Stored from the network: read back through the same gate. */
  if (text == NULL ||
      (node = clap_untrusted_parse_json (text, -1, CLAP_TASK_STORED_JSON_MAX_BYTES,
                                         NULL)) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  array = json_node_get_array (node);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        g_strv_builder_add (builder, json_node_get_string (element));
    }
  return json_array_get_length (array) > 0 ? g_strv_builder_end (builder) : NULL;
}

static char *
urls_to_json (GStrv urls)
{
  g_autoptr(JsonArray) array = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (urls == NULL)
    return NULL;

  array = json_array_new ();
  for (guint i = 0; urls[i] != NULL; i++)
    json_array_add_string_element (array, urls[i]);
  node = json_node_init_array (json_node_alloc (), array);
  return json_to_string (node, FALSE);
}

/* Reads the row @stmt stands on (selected by _clap_store_schema_select())
 * into @record. */
void
_clap_store_schema_read (sqlite3_stmt   *stmt,
                         ClapTaskRecord *record)
{
  int index = 1;

  record->row_id = sqlite3_column_int64 (stmt, 0);

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      const Column *column = &columns[i];
      gpointer value = field (record, column);

      if (!is_read (column))
        continue;

      switch (column->type)
        {
        case COLUMN_TEXT:
        case COLUMN_WRITER:
          *(char **) value = g_strdup (column_text (stmt, index));
          break;
        case COLUMN_INT64:
        case COLUMN_STAMP:
          *(gint64 *) value = sqlite3_column_int64 (stmt, index);
          break;
        case COLUMN_STATE:
          if (!clap_task_state_from_string (column_text (stmt, index), (ClapTaskState *) value))
            *(ClapTaskState *) value = CLAP_TASK_STATE_INTERRUPTED;
          break;
        case COLUMN_URLS:
          *(GStrv *) value = urls_from_json (column_text (stmt, index));
          break;
        case COLUMN_PROGRESS:
        default:
          g_assert_not_reached ();
        }
      index++;
    }

  _clap_task_record_check (record);
}

static const char *
find_parameter (const char *name)
{
  static char parameters[G_N_ELEMENTS (columns)][8];

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    if (g_str_equal (columns[i].name, name))
      {
        g_snprintf (parameters[i], sizeof parameters[i], "?%u", i + 1);
        return parameters[i];
      }
  g_assert_not_reached ();
}

/* The upsert of a whole take, parameter ?N being columns[N - 1]. Another
 * process's newer version of the take stays: the WHERE of the update. */
static const char *
get_upsert_sql (void)
{
  static const char stamp[] = "(SELECT IFNULL (MAX (stamp), 0) + 1 FROM takes)";
  static char *sql;

  if (g_once_init_enter (&sql))
    {
      GString *s = g_string_new ("INSERT INTO takes (");
      const char *writer = find_parameter ("writer");
      const char *attempt = find_parameter ("attempt");
      const char *progress = find_parameter ("progress");

      for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
        g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", columns[i].name);
      g_string_append (s, ") VALUES (");
      for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
        {
          if (i > 0)
            g_string_append (s, ", ");
          if (columns[i].type == COLUMN_STAMP)
            g_string_append (s, stamp);
          else
            g_string_append_printf (s, "?%u", i + 1);
        }
      g_string_append (s, ") ON CONFLICT (uid) DO UPDATE SET ");
      for (guint i = 1; i < G_N_ELEMENTS (columns); i++)
        {
          const char *name = columns[i].name;

          if (i > 1)
            g_string_append (s, ", ");
          if (columns[i].type == COLUMN_STAMP)
            g_string_append_printf (s, "%s = %s", name, stamp);
          else if (columns[i].flags & COLUMN_LAZY)
            g_string_append_printf (s, "%s = COALESCE (?%u, %s)", name, i + 1, name);
          else
            g_string_append_printf (s, "%s = ?%u", name, i + 1);
        }
      g_string_append_printf (s, " WHERE takes.writer IS %s OR %s > takes.attempt"
                              " OR (%s = takes.attempt AND %s >= takes.progress)",
                              writer, attempt, attempt, progress);
      g_once_init_leave (&sql, g_string_free (s, FALSE));
    }

  return sql;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static void
bind_record (sqlite3_stmt         *stmt,
             const ClapTaskRecord *record)
{
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      const Column *column = &columns[i];
      gconstpointer value = field (record, column);
      int index = (int) i + 1;

      switch (column->type)
        {
        case COLUMN_TEXT:
          bind_text (stmt, index, *(char * const *) value);
          break;
        case COLUMN_INT64:
          sqlite3_bind_int64 (stmt, index, *(const gint64 *) value);
          break;
        case COLUMN_STATE:
          bind_text (stmt, index, clap_task_state_to_string (*(const ClapTaskState *) value));
          break;
        case COLUMN_URLS:
          {
            g_autofree char *json = urls_to_json (*(GStrv const *) value);
            bind_text (stmt, index, json);
          }
          break;
        case COLUMN_PROGRESS:
          sqlite3_bind_int (stmt, index, _clap_task_record_progress (record));
          break;
        case COLUMN_WRITER:
          bind_text (stmt, index, _clap_process_token ());
          break;
        case COLUMN_STAMP:
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

/* Whether the last failure of @db was for want of space. */
gboolean
_clap_store_is_full (sqlite3 *db)
{
  int code = sqlite3_extended_errcode (db);
  int system = sqlite3_system_errno (db);

  return (code & 0xff) == SQLITE_FULL || system == ENOSPC || system == EDQUOT;
}

/* SQLite says "database or disk is full" or "disk I/O error"; a person
 * needs to know what to do. What they are told depends on whether the
 * write came before anything was sent (see the writer). */
void
_clap_store_set_write_error (sqlite3  *db,
                             GError  **error)
{
  int code = sqlite3_extended_errcode (db);

  if (_clap_store_is_full (db))
    g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_FULL,
                 _("The history could not be written: the disk is full. Free some space; the "
                   "change is written again with the next one."));
  else if ((code & 0xff) == SQLITE_IOERR)
    g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_WRITE,
                 _("The history could not be written: the disk failed (%s). Check the disk; the "
                   "change is written again with the next one."), sqlite3_errmsg (db));
  else
    g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_WRITE,
                 _("The history could not be written: %s"), sqlite3_errmsg (db));
}

/* Writes the whole take, unless another process wrote a newer version. */
ClapWriteResult
_clap_store_schema_upsert (sqlite3               *db,
                           const ClapTaskRecord  *record,
                           GError               **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, get_upsert_sql (), -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_record (stmt, record);
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      _clap_store_set_write_error (db, error);
      return _CLAP_WRITE_FAILED;
    }
  return sqlite3_changes (db) > 0 ? _CLAP_WRITE_DONE : _CLAP_WRITE_OVERTAKEN;
}

gboolean
_clap_store_schema_delete (sqlite3     *db,
                           const char  *uid,
                           GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, "DELETE FROM takes WHERE uid = ?1", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_text (stmt, 1, uid);
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      _clap_store_set_write_error (db, error);
      return FALSE;
    }
  return TRUE;
}

/* Records ------------------------------------------------------------------ */

void
_clap_task_record_clear (ClapTaskRecord *record)
{
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      gpointer value = field (record, &columns[i]);

      switch (columns[i].type)
        {
        case COLUMN_TEXT:
        case COLUMN_WRITER:
          g_free (*(char **) value);
          break;
        case COLUMN_URLS:
          g_strfreev (*(GStrv *) value);
          break;
        default:
          break;
        }
    }
  memset (record, 0, sizeof *record);
}

/* Copies every field of @src into @dest, which holds nothing. */
void
_clap_task_record_copy (ClapTaskRecord       *dest,
                        const ClapTaskRecord *src)
{
  dest->row_id = src->row_id;

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      const Column *column = &columns[i];
      gconstpointer from = field (src, column);
      gpointer to = field (dest, column);

      switch (column->type)
        {
        case COLUMN_TEXT:
        case COLUMN_WRITER:
          *(char **) to = g_strdup (*(char * const *) from);
          break;
        case COLUMN_INT64:
        case COLUMN_STAMP:
          *(gint64 *) to = *(const gint64 *) from;
          break;
        case COLUMN_STATE:
          *(ClapTaskState *) to = *(const ClapTaskState *) from;
          break;
        case COLUMN_URLS:
          *(GStrv *) to = g_strdupv (*(GStrv const *) from);
          break;
        case COLUMN_PROGRESS:
        default:
          break;
        }
    }
}

/* Takes into @dest every field of @src that another process may change
 * (not the uid, the settings or the bookkeeping of writes), notifying the
 * property of each field that changed on @object. */
void
_clap_task_record_update (ClapTaskRecord       *dest,
                          const ClapTaskRecord *src,
                          GObject              *object)
{
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      const Column *column = &columns[i];
      gconstpointer from = field (src, column);
      gpointer to = field (dest, column);
      gboolean changed = FALSE;

      if (column->offset == G_STRUCT_OFFSET (ClapTaskRecord, uid) ||
          (column->flags & COLUMN_LAZY))
        continue;

      switch (column->type)
        {
        case COLUMN_TEXT:
          changed = _clap_replace_string ((char **) to, *(char * const *) from);
          break;
        case COLUMN_INT64:
          changed = *(gint64 *) to != *(const gint64 *) from;
          *(gint64 *) to = *(const gint64 *) from;
          break;
        case COLUMN_STATE:
          changed = *(ClapTaskState *) to != *(const ClapTaskState *) from;
          *(ClapTaskState *) to = *(const ClapTaskState *) from;
          break;
        case COLUMN_URLS:
          changed = _clap_replace_strv ((GStrv *) to, (const char * const *) *(GStrv const *) from);
          break;
        case COLUMN_PROGRESS:
        case COLUMN_WRITER:
        case COLUMN_STAMP:
        default:
          break;
        }

      if (changed && column->property != NULL)
        g_object_notify (object, column->property);
    }
}

/* Exchanges ------------------------------------------------------------------ */

/* A stored exchange larger than the cap is kept as the start of its text,
 * in an object that says so: the first bytes of an answer are what a
 * person reads. */
char *
_clap_store_schema_exchange_to_text (JsonNode *exchange)
{
  g_autofree char *text = json_to_string (exchange, FALSE);
  gsize length = strlen (text);
  gsize keep = CLAP_STORE_EXCHANGE_MAX_BYTES - 1024;

  while (length > CLAP_STORE_EXCHANGE_MAX_BYTES)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) cut = NULL;
      const char *end = text + MIN (keep, length);
      g_autofree char *head = NULL;
      g_autofree char *wrapped = NULL;

      /* never half a character */
      g_utf8_validate (text, end - text, &end);
      head = g_strndup (text, end - text);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "truncated");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_set_member_name (builder, "bytes");
      json_builder_add_int_value (builder, (gint64) length);
      json_builder_set_member_name (builder, "head");
      json_builder_add_string_value (builder, head);
      json_builder_end_object (builder);
      cut = json_builder_get_root (builder);
      wrapped = json_to_string (cut, FALSE);

      /* Escaping may make the head longer than the cap: keep less. */
      if (strlen (wrapped) <= CLAP_STORE_EXCHANGE_MAX_BYTES)
        return g_steal_pointer (&wrapped);
      keep /= 2;
    }

  return g_steal_pointer (&text);
}

/* Appends @exchange to the take @uid's exchanges, keeping the first of each
 * attempt (its create) and the last CLAP_STORE_MAX_EXCHANGES. */
gboolean
_clap_store_schema_add_exchange (sqlite3     *db,
                                 const char  *uid,
                                 gint64       attempt,
                                 gint64       time,
                                 const char  *text,
                                 GError     **error)
{
  static const char insert[] =
    "INSERT INTO exchanges (uid, seq, attempt, time, json) VALUES (?1,"
    " (SELECT IFNULL (MAX (seq), 0) + 1 FROM exchanges WHERE uid = ?1), ?2, ?3, ?4)";
  static const char prune[] =
    "DELETE FROM exchanges WHERE uid = ?1"
    " AND seq NOT IN (SELECT seq FROM exchanges WHERE uid = ?1 ORDER BY seq DESC LIMIT ?2)"
    " AND seq NOT IN (SELECT MIN (seq) FROM exchanges WHERE uid = ?1 GROUP BY attempt)";
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (!exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;

  rc = sqlite3_prepare_v2 (db, insert, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_text (stmt, 1, uid);
      sqlite3_bind_int64 (stmt, 2, attempt);
      sqlite3_bind_int64 (stmt, 3, time);
      bind_text (stmt, 4, text);
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);

  if (rc == SQLITE_DONE)
    {
      rc = sqlite3_prepare_v2 (db, prune, -1, &stmt, NULL);
      if (rc == SQLITE_OK)
        {
          bind_text (stmt, 1, uid);
          sqlite3_bind_int (stmt, 2, CLAP_STORE_MAX_EXCHANGES);
          rc = sqlite3_step (stmt);
        }
      sqlite3_finalize (stmt);
    }

  if (rc != SQLITE_DONE)
    {
      _clap_store_set_write_error (db, error);
      exec (db, "ROLLBACK", NULL);
      return FALSE;
    }

  return exec (db, "COMMIT", error);
}

/* The take @uid's exchanges, oldest first: an array of
 * {"seq", "time", "attempt", "exchange"}, or "error" in place of an
 * exchange that cannot be read back. */
JsonNode *
_clap_store_schema_read_exchanges (sqlite3     *db,
                                   const char  *uid,
                                   GError     **error)
{
  static const char sql[] =
    "SELECT seq, time, attempt, json FROM exchanges WHERE uid = ?1 ORDER BY seq";
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_OPEN,
                   _("The history could not be read: %s"), sqlite3_errmsg (db));
      sqlite3_finalize (stmt);
      return NULL;
    }

  bind_text (stmt, 1, uid);
  json_builder_begin_array (builder);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *text = column_text (stmt, 3);
      int length = sqlite3_column_bytes (stmt, 3);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(JsonNode) exchange = NULL;

      /* Stored from the network: read back through the same gate. */
      exchange = clap_untrusted_parse_json (text, text ? length : -1,
                                            CLAP_STORE_EXCHANGE_MAX_BYTES, &local_error);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "seq");
      json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 0));
      json_builder_set_member_name (builder, "time");
      json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 1));
      json_builder_set_member_name (builder, "attempt");
      json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 2));
      if (exchange != NULL)
        {
          json_builder_set_member_name (builder, "exchange");
          json_builder_add_value (builder, g_steal_pointer (&exchange));
        }
      else
        {
          json_builder_set_member_name (builder, "error");
          json_builder_add_string_value (builder, local_error->message);
        }
      json_builder_end_object (builder);
    }
  sqlite3_finalize (stmt);
  json_builder_end_array (builder);

  if (rc != SQLITE_DONE)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_OPEN,
                   _("The history could not be read: %s"), sqlite3_errmsg (db));
      return NULL;
    }

  return json_builder_get_root (builder);
}
