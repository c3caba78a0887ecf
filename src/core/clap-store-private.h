/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "clap-store.h"
#include "clap-task-private.h"

G_BEGIN_DECLS

/* clap-store-schema.c: the history's tables, their migrations and the one
 * table of a take's columns that both reading and writing follow. */

typedef enum {
  _CLAP_WRITE_DONE,
  _CLAP_WRITE_OVERTAKEN,  /* another process had written a newer version: left alone */
  _CLAP_WRITE_FAILED,
} ClapWriteResult;

sqlite3         *_clap_store_schema_open      (const char            *path,
                                               gboolean               read_only,
                                               GError               **error);
char            *_clap_store_schema_select    (sqlite3               *db,
                                               const char            *tail);
void             _clap_store_schema_read      (sqlite3_stmt          *stmt,
                                               ClapTaskRecord        *record);
ClapWriteResult  _clap_store_schema_upsert    (sqlite3               *db,
                                               const ClapTaskRecord  *record,
                                               GError               **error);
gboolean         _clap_store_schema_delete    (sqlite3               *db,
                                               const char            *uid,
                                               GError               **error);
gboolean         _clap_store_schema_add_exchange   (sqlite3      *db,
                                                    const char   *uid,
                                                    gint64        attempt,
                                                    gint64        time,
                                                    const char   *text,
                                                    GError      **error);
char            *_clap_store_schema_exchange_to_text (JsonNode   *exchange);
JsonNode        *_clap_store_schema_read_exchanges (sqlite3      *db,
                                                    const char   *uid,
                                                    GError      **error);
void             _clap_store_set_open_error   (sqlite3               *db,
                                               const char            *path,
                                               GError               **error);
gboolean         _clap_store_is_full          (sqlite3               *db);
void             _clap_store_set_write_error  (sqlite3               *db,
                                               GError               **error);

G_END_DECLS
