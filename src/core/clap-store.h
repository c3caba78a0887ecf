/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clap-task.h"

G_BEGIN_DECLS

#define CLAP_STORE_ERROR (clap_store_error_quark ())

typedef enum {
  CLAP_STORE_ERROR_OPEN,
  CLAP_STORE_ERROR_TOO_NEW,   /* written by a newer Clapboard */
  CLAP_STORE_ERROR_WRITE,
  CLAP_STORE_ERROR_CHANGED,   /* another process wrote a newer version */
  CLAP_STORE_ERROR_FULL,      /* the disk is full: nothing could be written */
  CLAP_STORE_ERROR_DAMAGED,   /* not a Clapboard history, or cut short: left as it is */
  CLAP_STORE_ERROR_READ_ONLY, /* the history or its folder cannot be written */
  CLAP_STORE_ERROR_ID_KEPT,   /* a new task id is in the id journal, not in the history */
} ClapStoreError;

/* Request Details: each take keeps the first exchange of each submission
 * (its create) and the last CLAP_STORE_MAX_EXCHANGES, each at most
 * CLAP_STORE_EXCHANGE_MAX_BYTES of JSON (a larger one is cut). */
#define CLAP_STORE_MAX_EXCHANGES      20
#define CLAP_STORE_EXCHANGE_MAX_BYTES (160 * 1024)

#define CLAP_TYPE_STORE (clap_store_get_type ())
G_DECLARE_FINAL_TYPE (ClapStore, clap_store, CLAP, STORE, GObject)

GQuark      clap_store_error_quark       (void);
char       *clap_store_get_default_path  (void);
char       *clap_store_set_aside         (const char          *path,
                                          GError             **error);

ClapStore  *clap_store_open              (const char          *path,
                                          GError             **error);
ClapStore  *clap_store_open_for_reading  (const char          *path,
                                          GError             **error);
void        clap_store_open_async        (const char          *path,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
ClapStore  *clap_store_open_finish       (GAsyncResult        *result,
                                          GError             **error);
const char *clap_store_get_path          (ClapStore           *self);
void        clap_store_watch             (ClapStore           *self);

void        clap_store_add_async         (ClapStore           *self,
                                          ClapTask            *task,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean    clap_store_add_finish        (ClapStore           *self,
                                          GAsyncResult        *result,
                                          GError             **error);
void        clap_store_save_async        (ClapStore           *self,
                                          ClapTask            *task,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
void        clap_store_save_created_async (ClapStore          *self,
                                           ClapTask           *task,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
gboolean    clap_store_save_finish       (ClapStore           *self,
                                          GAsyncResult        *result,
                                          GError             **error);
void        clap_store_remove            (ClapStore           *self,
                                          ClapTask            *task);
ClapTask   *clap_store_find_by_task_id   (ClapStore           *self,
                                          const char          *task_id);
GPtrArray  *clap_store_find_all_by_task_id (ClapStore       *self,
                                            const char      *task_id);
ClapTask   *clap_store_find_by_uid       (ClapStore           *self,
                                          const char          *uid);
void        clap_store_add_exchange      (ClapStore           *self,
                                          ClapTask            *task,
                                          JsonNode            *exchange);
JsonNode   *clap_store_dup_exchanges     (ClapStore           *self,
                                          const char          *uid,
                                          GError             **error);
void        clap_store_dup_exchanges_async  (ClapStore           *self,
                                             const char          *uid,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
JsonNode   *clap_store_dup_exchanges_finish (ClapStore           *self,
                                             GAsyncResult        *result,
                                             GError             **error);
gboolean    clap_store_flush             (ClapStore           *self,
                                          GError             **error);
guint64     clap_store_get_n_writes      (ClapStore           *self);

G_END_DECLS
