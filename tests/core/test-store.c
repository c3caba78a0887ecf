/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "clap-id-journal-private.h"
#include "clap-store.h"
#include "clap-task-private.h"
#include "clap-test-files.h"

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
setup (Fixture       *fx,
       gconstpointer  data)
{
  fx->dir = g_dir_make_tmp ("clap-store-XXXXXX", NULL);
  fx->path = g_build_filename (fx->dir, "sub", "history.db", NULL);
}

static void
teardown (Fixture       *fx,
          gconstpointer  data)
{
  clap_test_rm_rf (fx->dir);
  g_free (fx->path);
  g_free (fx->dir);
}

typedef struct {
  gboolean done;
  gboolean ok;
  GError  *error;
} Added;

static void
added (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  Added *a = user_data;

  a->ok = clap_store_add_finish (CLAP_STORE (source), result, &a->error);
  a->done = TRUE;
}

static ClapTask *
add_take (ClapStore  *store,
          const char *prompt)
{
  g_autoptr(ClapRequest) request = clap_request_new ("kling-v3");
  ClapTask *task;
  Added a = { 0 };

  clap_request_set_prompt (request, prompt);
  clap_request_set_duration (request, 10);
  task = clap_task_new_for_request (request);
  clap_store_add_async (store, task, NULL, added, &a);
  while (!a.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (a.error);
  g_assert_true (a.ok);
  return task;
}

static gint64
count_rows (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM takes", -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

static void
test_add_is_durable (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  g_autoptr(ClapTask) task = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);

  task = add_take (store, "first");
  /* committed when the add completes, before anything else happens */
  g_assert_cmpint (count_rows (fx->path), ==, 1);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_SUBMITTING);
}

static void
test_roundtrip (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  g_autoptr(ClapTask) a = add_take (store, "older");
  g_autoptr(ClapTask) b = add_take (store, "newer");
  const char *urls[] = { "https://x/v.mp4", "https://x/w.mp4", NULL };
  g_autofree char *uid_a = g_strdup (clap_task_get_uid (a));
  g_autoptr(ClapStore) again = NULL;
  g_autoptr(ClapTask) la = NULL;
  g_autoptr(ClapTask) lb = NULL;
  g_autoptr(ClapRequest) request = NULL;

  /* newest first */
  la = g_list_model_get_item (G_LIST_MODEL (store), 0);
  g_assert_true (la == b);
  g_clear_object (&la);

  clap_task_set_task_id (a, "cl-a");
  clap_task_set_state (a, CLAP_TASK_STATE_COMPLETED);
  clap_task_set_result_urls (a, urls);
  clap_task_set_create_time (a, 1000);
  clap_task_set_complete_time (a, 2000);
  clap_task_set_local_file (a, "/data/cl-a.mp4");
  clap_task_set_thumbnail_url (a, "https://x/t.jpg");
  clap_task_set_progress (a, 0.5);
  clap_task_set_task_id (b, "cl-b");
  clap_task_set_state (b, CLAP_TASK_STATE_FAILED);
  clap_task_set_fail_message (b, "Content policy violation");
  g_assert_true (clap_store_flush (store, &error));
  g_assert_true (clap_store_find_by_task_id (store, "cl-a") == a);
  g_clear_object (&store);

  again = clap_store_open (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 2);
  lb = g_list_model_get_item (G_LIST_MODEL (again), 0);
  la = g_list_model_get_item (G_LIST_MODEL (again), 1);

  g_assert_cmpstr (clap_task_get_uid (la), ==, uid_a);
  g_assert_cmpstr (clap_task_get_task_id (la), ==, "cl-a");
  g_assert_cmpint (clap_task_get_state (la), ==, CLAP_TASK_STATE_COMPLETED);
  g_assert_cmpstrv (clap_task_get_result_urls (la), urls);
  g_assert_cmpint (clap_task_get_create_time (la), ==, 1000);
  g_assert_cmpint (clap_task_get_complete_time (la), ==, 2000);
  g_assert_cmpstr (clap_task_get_local_file (la), ==, "/data/cl-a.mp4");
  g_assert_cmpstr (clap_task_get_thumbnail_url (la), ==, "https://x/t.jpg");
  g_assert_cmpstr (clap_task_get_prompt (la), ==, "older");
  g_assert_cmpstr (clap_task_get_model (la), ==, "kling-v3");
  g_assert_cmpint (clap_task_get_cost (la), ==, 10 * 633);
  /* progress is not kept */
  g_assert_cmpfloat (clap_task_get_progress (la), ==, 0.0);
  g_assert_cmpint (clap_task_get_state (lb), ==, CLAP_TASK_STATE_FAILED);
  g_assert_cmpstr (clap_task_get_fail_message (lb), ==, "Content policy violation");

  /* the settings give the request back */
  request = clap_task_dup_request (la);
  g_assert_cmpuint (clap_request_get_duration (request), ==, 10);
  g_assert_cmpstr (clap_request_get_prompt (request), ==, "older");
}

static void
test_remove (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  g_autoptr(ClapTask) a = add_take (store, "a");
  g_autoptr(ClapTask) b = add_take (store, "b");

  clap_task_set_task_id (a, "cl-gone");
  clap_store_remove (store, a);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_null (clap_store_find_by_task_id (store, "cl-gone"));
  g_assert_true (clap_store_flush (store, &error));
  g_assert_cmpint (count_rows (fx->path), ==, 1);

  /* changes to a removed take are not written */
  clap_task_set_state (a, CLAP_TASK_STATE_COMPLETED);
  g_assert_true (clap_store_flush (store, &error));
  g_assert_cmpint (count_rows (fx->path), ==, 1);
}

static void
test_writes_coalesce (Fixture       *fx,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  g_autoptr(ClapTask) a = add_take (store, "a");
  guint64 before = clap_store_get_n_writes (store);

  /* many changes in one main-loop iteration: one write */
  clap_task_set_task_id (a, "cl1");
  clap_task_set_state (a, CLAP_TASK_STATE_PENDING);
  clap_task_set_create_time (a, 5);
  for (guint i = 0; i < 100; i++)
    clap_task_set_progress (a, i / 100.0);
  g_assert_true (clap_store_flush (store, &error));
  g_assert_cmpuint (clap_store_get_n_writes (store), ==, before + 1);
}

static void
test_too_new (Fixture       *fx,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  sqlite3 *db = NULL;

  g_assert_no_error (error);
  g_clear_object (&store);

  g_assert_cmpint (sqlite3_open (fx->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version=99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = clap_store_open (fx->path, &error);
  g_assert_null (store);
  g_assert_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_TOO_NEW);
}

static void
keep_result (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_open_async (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(ClapStore) loaded = NULL;

  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *prompt = g_strdup_printf ("take %u", i);
      g_autoptr(ClapTask) task = add_take (store, prompt);
    }
  g_clear_object (&store);

  clap_store_open_async (fx->path, NULL, keep_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  loaded = clap_store_open_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (loaded)), ==, 50);
}

/* A history written by the previous version (schema 3) opens, migrated,
 * with every take, and takes new writes. */
static void
test_migrate_from_3 (Fixture       *fx,
                     gconstpointer  data)
{
  static const char v3[] =
    "CREATE TABLE takes (id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, task_id TEXT,"
    " state TEXT NOT NULL, model TEXT, prompt TEXT, settings TEXT,"
    " submit_time INTEGER NOT NULL DEFAULT 0, create_time INTEGER NOT NULL DEFAULT 0,"
    " complete_time INTEGER NOT NULL DEFAULT 0, result_urls TEXT, thumbnail_url TEXT,"
    " local_file TEXT, thumbnail_file TEXT, fail_message TEXT, error_message TEXT,"
    " cost INTEGER NOT NULL DEFAULT 0, saved_time INTEGER NOT NULL DEFAULT 0,"
    " evicted_time INTEGER NOT NULL DEFAULT 0, owner TEXT);"
    "CREATE INDEX takes_task_id ON takes (task_id);"
    "INSERT INTO takes (uid, task_id, state, model, prompt, submit_time, local_file, cost)"
    " VALUES ('old-take', 'cl-old', 'completed', 'kling-v3', 'from version 3', 7,"
    " '/clips/old.mp4', 3165);"
    "PRAGMA user_version=3;";
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = NULL;
  g_autoptr(ClapStore) again = NULL;
  sqlite3 *db = NULL;
  g_autofree char *dir = g_path_get_dirname (fx->path);
  ClapTask *task;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (fx->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, v3, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = clap_store_open (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  task = clap_store_find_by_task_id (store, "cl-old");
  g_assert_nonnull (task);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_COMPLETED);
  g_assert_cmpstr (clap_task_get_local_file (task), ==, "/clips/old.mp4");
  g_assert_cmpint (clap_task_get_cost (task), ==, 3165);

  clap_task_set_saved_time (task, 42);
  g_assert_true (clap_store_flush (store, &error));
  g_clear_object (&store);

  again = clap_store_open (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (clap_task_get_saved_time (clap_store_find_by_uid (again, "old-take")), ==, 42);
}


/* A history written by the previous version (schema 4) opens, migrated:
 * the takes keep everything, gain a warning and a service state, and
 * Request Details start empty. */
static void
test_migrate_from_4 (Fixture       *fx,
                     gconstpointer  data)
{
  static const char v4[] =
    "CREATE TABLE takes (id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, task_id TEXT,"
    " state TEXT NOT NULL, model TEXT, prompt TEXT, settings TEXT,"
    " submit_time INTEGER NOT NULL DEFAULT 0, create_time INTEGER NOT NULL DEFAULT 0,"
    " complete_time INTEGER NOT NULL DEFAULT 0, result_urls TEXT, thumbnail_url TEXT,"
    " local_file TEXT, thumbnail_file TEXT, fail_message TEXT, error_message TEXT,"
    " cost INTEGER NOT NULL DEFAULT 0, saved_time INTEGER NOT NULL DEFAULT 0,"
    " evicted_time INTEGER NOT NULL DEFAULT 0, owner TEXT,"
    " attempt INTEGER NOT NULL DEFAULT 0, progress INTEGER NOT NULL DEFAULT 0,"
    " writer TEXT, stamp INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX takes_task_id ON takes (task_id);"
    "CREATE INDEX takes_stamp ON takes (stamp);"
    "INSERT INTO takes (uid, task_id, state, model, prompt, submit_time, complete_time,"
    " result_urls, local_file, cost, attempt, progress, writer, stamp)"
    " VALUES ('v4-take', 'cl-four', 'completed', 'kling-v3', 'from version 4', 7, 9,"
    " '[\"https://x/four.mp4\"]', '/clips/four.mp4', 3165, 2, 5, 'someone', 12);"
    "PRAGMA user_version=4;";
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = NULL;
  g_autoptr(ClapStore) again = NULL;
  g_autoptr(JsonNode) exchanges = NULL;
  g_autofree char *dir = g_path_get_dirname (fx->path);
  const char *urls[] = { "https://x/four.mp4", NULL };
  sqlite3 *db = NULL;
  ClapTask *task;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (fx->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, v4, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = clap_store_open (fx->path, &error);
  g_assert_no_error (error);
  task = clap_store_find_by_uid (store, "v4-take");
  g_assert_nonnull (task);
  g_assert_cmpstr (clap_task_get_task_id (task), ==, "cl-four");
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_COMPLETED);
  g_assert_cmpstrv (clap_task_get_result_urls (task), urls);
  g_assert_cmpstr (clap_task_get_local_file (task), ==, "/clips/four.mp4");
  g_assert_cmpint (_clap_task_get_attempt (task), ==, 2);
  g_assert_null (clap_task_get_warning (task));
  g_assert_null (clap_task_get_service_state (task));
  exchanges = clap_store_dup_exchanges (store, "v4-take", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (exchanges)), ==, 0);

  clap_task_set_warning (task, "check me");
  clap_task_set_service_state (task, "rendering");
  g_assert_true (clap_store_flush (store, &error));
  g_clear_object (&store);

  again = clap_store_open (fx->path, &error);
  g_assert_no_error (error);
  task = clap_store_find_by_uid (again, "v4-take");
  g_assert_cmpstr (clap_task_get_warning (task), ==, "check me");
  g_assert_cmpstr (clap_task_get_service_state (task), ==, "rendering");
  g_assert_cmpint (_clap_task_get_attempt (task), ==, 2);
}

static JsonNode *
make_exchange (const char *what,
               guint       n,
               gsize       body_bytes)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *body = body_bytes ? g_strnfill (body_bytes, 'x') : NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "what");
  json_builder_add_string_value (b, what);
  json_builder_set_member_name (b, "n");
  json_builder_add_int_value (b, n);
  if (body != NULL)
    {
      json_builder_set_member_name (b, "body");
      json_builder_add_string_value (b, body);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonObject *
exchange_at (JsonNode *exchanges,
             guint     i)
{
  JsonObject *entry = json_array_get_object_element (json_node_get_array (exchanges), i);

  return json_object_get_object_member (entry, "exchange");
}

/* Request Details: an append-only list per take that keeps each
 * submission's create and the last 20, each bounded, and goes with the
 * take. */
static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_exchanges (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  g_autoptr(ClapTask) task = add_take (store, "talked about");
  g_autoptr(ClapTask) other = add_take (store, "quiet");
  g_autoptr(JsonNode) exchanges = NULL;
  g_autofree char *uid = g_strdup (clap_task_get_uid (task));
  JsonArray *array;
  JsonObject *big;

  /* the first submission: a create, then 30 queries */
  {
    g_autoptr(JsonNode) create = make_exchange ("create", 0, 0);
    clap_store_add_exchange (store, task, create);
  }
  for (guint i = 1; i <= 30; i++)
    {
      g_autoptr(JsonNode) query = make_exchange ("query", i, 0);
      clap_store_add_exchange (store, task, query);
    }
  g_assert_true (clap_store_flush (store, &error));

  exchanges = clap_store_dup_exchanges (store, uid, &error);
  g_assert_no_error (error);
  array = json_node_get_array (exchanges);
  g_assert_cmpuint (json_array_get_length (array), ==, 1 + CLAP_STORE_MAX_EXCHANGES);
  g_assert_cmpstr (json_object_get_string_member (exchange_at (exchanges, 0), "what"), ==,
                   "create");
  /* oldest first: queries 11 to 30 */
  g_assert_cmpint (json_object_get_int_member (exchange_at (exchanges, 1), "n"), ==, 11);
  g_assert_cmpint (json_object_get_int_member (exchange_at (exchanges, 20), "n"), ==, 30);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (array, 0), "time"),
                   >, 0);
  g_clear_pointer (&exchanges, json_node_unref);

  /* the same, read in a worker thread on a connection of its own */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(JsonNode) read_async = NULL;

    clap_store_dup_exchanges_async (store, uid, NULL, store_result, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    read_async = clap_store_dup_exchanges_finish (store, result, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (read_async)), ==,
                      1 + CLAP_STORE_MAX_EXCHANGES);
    g_assert_cmpstr (json_object_get_string_member (exchange_at (read_async, 0), "what"), ==,
                     "create");
  }

  /* "Send Again": the second create is kept too, with the first */
  _clap_task_begin_attempt (task);
  {
    g_autoptr(JsonNode) create = make_exchange ("create", 100, 0);
    clap_store_add_exchange (store, task, create);
  }
  for (guint i = 101; i <= 125; i++)
    {
      g_autoptr(JsonNode) query = make_exchange ("query", i, 0);
      clap_store_add_exchange (store, task, query);
    }
  /* an answer larger than the cap is cut, still JSON */
  {
    g_autoptr(JsonNode) huge = make_exchange ("query", 126, 2 * CLAP_STORE_EXCHANGE_MAX_BYTES);
    clap_store_add_exchange (store, task, huge);
  }
  g_assert_true (clap_store_flush (store, &error));

  exchanges = clap_store_dup_exchanges (store, uid, &error);
  g_assert_no_error (error);
  array = json_node_get_array (exchanges);
  g_assert_cmpuint (json_array_get_length (array), ==, 2 + CLAP_STORE_MAX_EXCHANGES);
  g_assert_cmpint (json_object_get_int_member (exchange_at (exchanges, 0), "n"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (exchange_at (exchanges, 1), "n"), ==, 100);
  g_assert_cmpint (json_object_get_int_member (exchange_at (exchanges, 2), "n"), ==, 107);
  big = exchange_at (exchanges, 21);
  g_assert_true (json_object_get_boolean_member (big, "truncated"));
  g_assert_cmpint (json_object_get_int_member (big, "bytes"), >, 2 * CLAP_STORE_EXCHANGE_MAX_BYTES);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (big, "head"), "{\"what\""));
  g_clear_pointer (&exchanges, json_node_unref);
  {
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_open_v2 (fx->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT MAX (length (json)) FROM exchanges", -1,
                                         &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int64 (stmt, 0), <=, CLAP_STORE_EXCHANGE_MAX_BYTES);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }

  /* the other take has none; a removed take's go with it */
  exchanges = clap_store_dup_exchanges (store, clap_task_get_uid (other), &error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (exchanges)), ==, 0);
  g_clear_pointer (&exchanges, json_node_unref);
  clap_store_remove (store, task);
  {
    g_autoptr(JsonNode) late = make_exchange ("query", 999, 0);
    clap_store_add_exchange (store, task, late);
  }
  g_assert_true (clap_store_flush (store, &error));
  exchanges = clap_store_dup_exchanges (store, uid, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (exchanges)), ==, 0);
}

/* What is stored from the network is read back through the same gate: an
 * exchange nested far too deep is reported, never handed to the parser. */
static void
test_exchange_read_back_bounded (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  g_autoptr(ClapTask) task = add_take (store, "deep");
  g_autoptr(JsonNode) exchanges = NULL;
  g_autoptr(GString) deep = g_string_new (NULL);
  JsonObject *entry;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  g_assert_cmpint (sqlite3_open (fx->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO exchanges (uid, seq, attempt, time, json)"
                                           " VALUES (?1, 1, 0, 5, ?2)", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  sqlite3_bind_text (stmt, 1, clap_task_get_uid (task), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, deep->str, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  exchanges = clap_store_dup_exchanges (store, clap_task_get_uid (task), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (exchanges)), ==, 1);
  entry = json_array_get_object_element (json_node_get_array (exchanges), 0);
  g_assert_false (json_object_has_member (entry, "exchange"));
  g_assert_nonnull (strstr (json_object_get_string_member (entry, "error"), "levels deep"));
}

static void
exec_sql (const char *path,
          const char *sql,
          const char *text)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (text != NULL)
    sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

/* What the history keeps from the network is checked again when it is
 * read: one bad answer stored (JSON nested 200,000 deep, a link that is
 * not allowed, a message of a megabyte, a task id that reads as a path)
 * can never take the application down at every start. */
static void
test_reload_bounded (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  g_autoptr(ClapTask) deep = add_take (store, "deep");
  g_autoptr(ClapTask) links = add_take (store, "links");
  g_autoptr(ClapStore) again = NULL;
  g_autoptr(GString) nested = g_string_new (NULL);
  g_autoptr(GString) long_url = g_string_new ("https://example.com/");
  g_autofree char *huge = g_strnfill (1024 * 1024, 'm');
  g_autofree char *sql = NULL;
  g_autoptr(ClapRequest) request = NULL;
  const char *usable[] = { "https://cdn.example.com/ok.mp4", "http://127.0.0.1:5/local.mp4", NULL };
  ClapTask *task;

  clap_task_set_task_id (links, "../../Videos/wedding");
  clap_task_set_state (links, CLAP_TASK_STATE_COMPLETED);
  g_assert_true (clap_store_flush (store, &error));
  g_clear_object (&store);

  for (guint i = 0; i < 200000; i++)
    g_string_append_c (nested, '[');
  for (guint i = 0; i < 3000; i++)
    g_string_append_c (long_url, 'a');

  sql = g_strdup_printf ("UPDATE takes SET result_urls = ?1, settings = ?1, thumbnail_url ="
                         " 'http://evil.example/t.jpg' WHERE uid = '%s'", clap_task_get_uid (deep));
  exec_sql (fx->path, sql, nested->str);
  g_free (sql);
  sql = g_strdup_printf ("UPDATE takes SET result_urls = ?1, fail_message = '%s' WHERE uid = '%s'",
                         huge, clap_task_get_uid (links));
  {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *json = NULL;

    json_builder_begin_array (b);
    json_builder_add_string_value (b, "http://evil.example/x.mp4");
    json_builder_add_string_value (b, "https://cdn.example.com/ok.mp4");
    json_builder_add_string_value (b, long_url->str);
    json_builder_add_string_value (b, "file:///etc/passwd");
    json_builder_add_string_value (b, "http://127.0.0.1:5/local.mp4");
    json_builder_end_array (b);
    root = json_builder_get_root (b);
    json = json_to_string (root, FALSE);
    exec_sql (fx->path, sql, json);
  }

  again = clap_store_open (fx->path, &error);
  g_assert_no_error (error);

  task = clap_store_find_by_uid (again, clap_task_get_uid (deep));
  g_assert_null (clap_task_get_result_urls (task));
  g_assert_null (clap_task_get_thumbnail_url (task));
  g_assert_null (clap_task_get_settings (task));
  request = clap_task_dup_request (task);
  g_assert_nonnull (request);

  task = clap_store_find_by_uid (again, clap_task_get_uid (links));
  g_assert_cmpstrv (clap_task_get_result_urls (task), usable);
  g_assert_cmpint (g_utf8_strlen (clap_task_get_fail_message (task), -1), <=, 2001);
  /* kept, shown, but never used to find or ask about the take */
  g_assert_cmpstr (clap_task_get_task_id (task), ==, "../../Videos/wedding");
  g_assert_null (clap_store_find_by_task_id (again, "../../Videos/wedding"));
}

/* A file that is not a Clapboard history is said to be one that is
 * damaged, and is left exactly as it was. */
static void
test_damaged_garbage (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (fx->path);
  g_autofree char *garbage = g_strnfill (8192, 'G');
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = NULL;
  gsize length;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fx->path, garbage, -1, NULL));

  store = clap_store_open (fx->path, &error);
  g_assert_null (store);
  g_assert_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_DAMAGED);
  g_assert_nonnull (strstr (error->message, "damaged or is not a Clapboard history"));
  g_assert_null (strstr (error->message, "could not be written"));
  g_clear_error (&error);

  store = clap_store_open_for_reading (fx->path, &error);
  g_assert_null (store);
  g_assert_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_DAMAGED);
  g_clear_error (&error);

  g_assert_true (g_file_get_contents (fx->path, &after, &length, NULL));
  g_assert_cmpmem (after, length, garbage, strlen (garbage));
  g_clear_pointer (&after, g_free);

  /* Set aside, whole, with the files beside it; a new history starts. */
  {
    g_autofree char *ids = g_strconcat (fx->path, "-ids", NULL);
    g_autofree char *aside = NULL;
    g_autofree char *aside_ids = NULL;
    g_autofree char *again = NULL;

    g_assert_true (g_file_set_contents (ids, "journal", -1, NULL));
    aside = clap_store_set_aside (fx->path, &error);
    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (aside, fx->path));
    g_assert_nonnull (strstr (aside, ".damaged-"));
    g_assert_false (g_file_test (fx->path, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_get_contents (aside, &after, &length, NULL));
    g_assert_cmpmem (after, length, garbage, strlen (garbage));
    aside_ids = g_strconcat (aside, "-ids", NULL);
    g_assert_true (g_file_test (aside_ids, G_FILE_TEST_IS_REGULAR));
    g_assert_false (g_file_test (ids, G_FILE_TEST_EXISTS));

    store = clap_store_open (fx->path, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);
    g_clear_object (&store);

    /* a second time in the same second gets a name of its own */
    g_assert_true (g_file_set_contents (fx->path, garbage, -1, NULL));
    again = clap_store_set_aside (fx->path, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (again, !=, aside);
    g_assert_true (g_file_test (aside, G_FILE_TEST_IS_REGULAR));
    g_assert_true (g_file_test (again, G_FILE_TEST_IS_REGULAR));
  }
}

/* A history cut short (a copy that stopped half way) is damaged too; it is
 * kept as it is. */
static void
test_damaged_truncated (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  g_autofree char *contents = NULL;
  g_autofree char *after = NULL;
  gsize length, after_length;

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *prompt = g_strdup_printf ("take %u: %s", i, "a long prompt to fill pages "
                                                 "of the history so that cutting it loses rows");
      g_autoptr(ClapTask) task = add_take (store, prompt);
    }
  g_assert_true (clap_store_flush (store, &error));
  g_clear_object (&store);

  g_assert_true (g_file_get_contents (fx->path, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 64 * 1024);
  g_assert_true (g_file_set_contents (fx->path, contents, length / 2, NULL));

  store = clap_store_open (fx->path, &error);
  g_assert_null (store);
  g_assert_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_DAMAGED);
  g_assert_true (g_file_get_contents (fx->path, &after, &after_length, NULL));
  g_assert_cmpmem (after, after_length, contents, length / 2);
}

/* A history opened to read only: nothing made, nothing migrated, nothing
 * written; a missing one is empty. */
static void
test_open_for_reading (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open_for_reading (fx->path, &error);
  g_autoptr(ClapStore) writer = NULL;
  g_autoptr(ClapTask) task = NULL;
  g_autoptr(ClapTask) loaded = NULL;
  g_autoptr(ClapTask) extra = NULL;
  g_autoptr(ClapRequest) request = clap_request_new ("kling-v3");
  Added a = { 0 };

  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);
  g_assert_false (g_file_test (fx->path, G_FILE_TEST_EXISTS));
  g_clear_object (&store);

  writer = clap_store_open (fx->path, &error);
  task = add_take (writer, "read me");
  clap_task_set_task_id (task, "cl-read");
  g_assert_true (clap_store_flush (writer, &error));

  store = clap_store_open_for_reading (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  loaded = g_list_model_get_item (G_LIST_MODEL (store), 0);
  g_assert_cmpstr (clap_task_get_task_id (loaded), ==, "cl-read");
  g_assert_cmpstr (clap_task_get_prompt (loaded), ==, "read me");

  /* it writes nothing */
  clap_task_set_fail_message (loaded, "not kept");
  extra = clap_task_new_for_request (request);
  clap_store_add_async (store, extra, NULL, added, &a);
  while (!a.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (a.ok);
  g_assert_error (a.error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_READ_ONLY);
  g_clear_error (&a.error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_true (clap_store_flush (store, &error));
  g_assert_cmpint (count_rows (fx->path), ==, 1);
}

static char *
journal_path (Fixture *fx)
{
  return g_strconcat (fx->path, "-ids", NULL);
}

static guint
journal_count (Fixture *fx)
{
  g_autofree char *path = journal_path (fx);
  g_autoptr(ClapIdJournal) journal = _clap_id_journal_open (path, TRUE);
  g_autoptr(GPtrArray) entries = _clap_id_journal_read (journal);

  return entries->len;
}

typedef struct {
  gboolean done;
  GError  *error;
} Saved;

static void
saved (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  Saved *s = user_data;

  clap_store_save_finish (CLAP_STORE (source), result, &s->error);
  s->done = TRUE;
}

/* The journal's room is taken when the history opens; a new task id goes
 * through it and leaves it once the history has it. */
static void
test_id_journal_passes_through (Fixture       *fx,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  g_autoptr(ClapTask) task = add_take (store, "created");
  g_autofree char *path = journal_path (fx);
  g_autoptr(ClapStore) again = NULL;
  Saved s = { 0 };
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 256 + CLAP_ID_JOURNAL_SLOTS * 256);
  g_assert_cmpint (st.st_blocks * 512, >=, st.st_size);

  clap_task_set_task_id (task, "cl-through");
  clap_task_set_state (task, CLAP_TASK_STATE_PENDING);
  clap_store_save_created_async (store, task, NULL, saved, &s);
  while (!s.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (s.error);
  g_assert_cmpuint (journal_count (fx), ==, 0);
  g_clear_object (&store);

  again = clap_store_open (fx->path, &error);
  g_assert_cmpstr (clap_task_get_task_id (clap_store_find_by_uid (again, clap_task_get_uid (task))),
                   ==, "cl-through");
}

/* When the history cannot take a new task id, the journal keeps it, the
 * error says where, and the next open gives the id to its take, which is
 * followed from then on. */
static void
test_id_journal_keeps_the_id (Fixture       *fx,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  g_autoptr(ClapTask) task = add_take (store, "paid for");
  g_autofree char *path = journal_path (fx);
  g_autofree char *uid = g_strdup (clap_task_get_uid (task));
  g_autoptr(ClapStore) reader = NULL;
  g_autoptr(ClapStore) again = NULL;
  g_autoptr(ClapStore) third = NULL;
  ClapTask *recovered;
  Saved s = { 0 };

  /* the history refuses any write of an id, as a full disk would */
  exec_sql (fx->path, "CREATE TRIGGER no_ids BEFORE UPDATE ON takes WHEN NEW.task_id IS NOT NULL"
                      " BEGIN SELECT RAISE (ABORT, 'no room'); END", NULL);

  clap_task_set_task_id (task, "cl-kept");
  clap_task_set_state (task, CLAP_TASK_STATE_PENDING);
  clap_store_save_created_async (store, task, NULL, saved, &s);
  while (!s.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (s.error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_ID_KEPT);
  g_assert_nonnull (strstr (s.error->message, "The service created the take (task id cl-kept)"));
  g_assert_nonnull (strstr (s.error->message, path));
  g_assert_nonnull (strstr (s.error->message, "clapboard-cli resume"));
  g_clear_error (&s.error);
  g_assert_cmpuint (journal_count (fx), ==, 1);
  g_clear_object (&store);

  /* reading shows it, and leaves the journal as it is */
  reader = clap_store_open_for_reading (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (clap_task_get_task_id (clap_store_find_by_uid (reader, uid)), ==, "cl-kept");
  g_clear_object (&reader);
  g_assert_cmpuint (journal_count (fx), ==, 1);

  /* once the history can take it, the next open records it */
  exec_sql (fx->path, "DROP TRIGGER no_ids", NULL);
  again = clap_store_open (fx->path, &error);
  g_assert_no_error (error);
  recovered = clap_store_find_by_uid (again, uid);
  g_assert_cmpstr (clap_task_get_task_id (recovered), ==, "cl-kept");
  g_assert_cmpint (clap_task_get_state (recovered), ==, CLAP_TASK_STATE_PENDING);
  g_assert_true (clap_store_find_by_task_id (again, "cl-kept") == recovered);
  g_assert_true (clap_store_flush (again, &error));
  g_assert_cmpuint (journal_count (fx), ==, 0);
  g_clear_object (&again);

  third = clap_store_open (fx->path, &error);
  g_assert_cmpstr (clap_task_get_task_id (clap_store_find_by_uid (third, uid)), ==, "cl-kept");
}

/* What the journal holds is checked like anything stored: a slot cut by a
 * crash, or naming an id that is not usable, is ignored; an id of an
 * earlier submission is not given to a later one, but said. */
static void
test_id_journal_checked (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->path, &error);
  g_autoptr(ClapTask) resent = add_take (store, "sent again");
  g_autoptr(ClapTask) other = add_take (store, "other");
  g_autofree char *path = journal_path (fx);
  g_autoptr(ClapStore) again = NULL;
  ClapTask *task;

  _clap_task_begin_attempt (resent);
  clap_task_set_state (resent, CLAP_TASK_STATE_INTERRUPTED);
  g_assert_true (clap_store_flush (store, &error));
  g_clear_object (&store);

  {
    g_autoptr(ClapIdJournal) journal = _clap_id_journal_open (path, FALSE);
    g_autoptr(GError) keep_error = NULL;
    gint torn;
    int fd;

    g_assert_true (_clap_id_journal_is_ready (journal));
    g_assert_cmpint (_clap_id_journal_keep (journal, clap_task_get_uid (resent), "cl-earlier", 0,
                                            &keep_error), >=, 0);
    g_assert_cmpint (_clap_id_journal_keep (journal, clap_task_get_uid (other), "../../x", 0,
                                            &keep_error), >=, 0);
    torn = _clap_id_journal_keep (journal, clap_task_get_uid (other), "cl-torn", 0, &keep_error);
    g_assert_no_error (keep_error);
    /* a byte of the torn slot changed after its checksum */
    fd = open (path, O_RDWR);
    g_assert_cmpint (pwrite (fd, "X", 1, 256 + torn * 256 + 100), ==, 1);
    close (fd);
    {
      g_autoptr(GPtrArray) entries = _clap_id_journal_read (journal);
      g_assert_cmpuint (entries->len, ==, 1);
    }
  }

  again = clap_store_open (fx->path, &error);
  g_assert_no_error (error);
  task = clap_store_find_by_uid (again, clap_task_get_uid (resent));
  g_assert_null (clap_task_get_task_id (task));
  g_assert_nonnull (strstr (clap_task_get_warning (task), "cl-earlier"));
  task = clap_store_find_by_uid (again, clap_task_get_uid (other));
  g_assert_null (clap_task_get_task_id (task));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/core/store/" path, Fixture, NULL, setup, func, teardown)
  ADD ("add-is-durable", test_add_is_durable);
  ADD ("roundtrip", test_roundtrip);
  ADD ("remove", test_remove);
  ADD ("writes-coalesce", test_writes_coalesce);
  ADD ("too-new", test_too_new);
  ADD ("migrate-from-3", test_migrate_from_3);
  ADD ("migrate-from-4", test_migrate_from_4);
  ADD ("exchanges", test_exchanges);
  ADD ("exchange-read-back-bounded", test_exchange_read_back_bounded);
  ADD ("reload-bounded", test_reload_bounded);
  ADD ("damaged-garbage", test_damaged_garbage);
  ADD ("damaged-truncated", test_damaged_truncated);
  ADD ("open-for-reading", test_open_for_reading);
  ADD ("id-journal-passes-through", test_id_journal_passes_through);
  ADD ("id-journal-keeps-the-id", test_id_journal_keeps_the_id);
  ADD ("id-journal-checked", test_id_journal_checked);
  ADD ("open-async", test_open_async);

  return g_test_run ();
}
