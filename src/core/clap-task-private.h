/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clap-task.h"

G_BEGIN_DECLS

/* Every field the history keeps of a take, as plain data: a take holds one,
 * and a copy is what a worker thread writes while the take changes on the
 * main thread. The columns that store it are listed once, in
 * clap-store-schema.c: a new field is a member here, a line there and a
 * migration. */
typedef struct {
  gint64         row_id;
  char          *uid;
  char          *owner;
  char          *task_id;
  char          *model;
  char          *prompt;
  char          *settings_json;
  ClapTaskState  state;
  gint64         submit_time;
  gint64         create_time;
  gint64         complete_time;
  GStrv          result_urls;
  char          *thumbnail_url;
  char          *local_file;
  char          *thumbnail_file;
  char          *fail_message;
  char          *error_message;
  ClapPrice      cost;
  gint64         saved_time;
  gint64         evicted_time;
  gint64         refused_time;  /* Clapboard refused the service's result */
  gint64         attempt;   /* submissions made of it; "Send Again" adds one */
  char          *warning;   /* something the person should check (a duplicate task id) */
  char          *service_state; /* the state as the service wrote it, when Clapboard does not
                                 * know the name */

  /* Read from the history, never written from here: which process wrote
   * this version, and when in the order of all writes. */
  char          *writer;
  gint64         stamp;
} ClapTaskRecord;

/* Returns the take's settings JSON (a new string) or NULL. */
typedef char *(*ClapTaskSettingsLoader) (ClapTask *task,
                                         gpointer  data);

void      _clap_task_set_settings_loader (ClapTask               *self,
                                          ClapTaskSettingsLoader  loader,
                                          gpointer                data);
const char *_clap_task_get_owner    (ClapTask       *self);
void      _clap_task_set_owner       (ClapTask       *self,
                                      const char     *owner);
gint64    _clap_task_get_attempt     (ClapTask       *self);
void      _clap_task_begin_attempt   (ClapTask       *self);
/* A JSON text the history keeps (settings, links) is read back only if it
 * is at most this long. */
#define CLAP_TASK_STORED_JSON_MAX_BYTES (1024 * 1024)

gboolean  _clap_task_url_is_usable   (const char     *url);
void      _clap_task_record_check    (ClapTaskRecord *record);
int       _clap_task_record_progress (const ClapTaskRecord *record);
void      _clap_task_snapshot        (ClapTask       *self,
                                      ClapTaskRecord *record);
ClapTask *_clap_task_new_from_record (ClapTaskRecord *record);
void      _clap_task_apply_record    (ClapTask       *self,
                                      const ClapTaskRecord *record);

/* clap-store-schema.c: what the column table knows of a record. */
void      _clap_task_record_clear    (ClapTaskRecord *record);
void      _clap_task_record_copy     (ClapTaskRecord       *dest,
                                      const ClapTaskRecord *src);
void      _clap_task_record_update   (ClapTaskRecord       *dest,
                                      const ClapTaskRecord *src,
                                      GObject              *object);

G_END_DECLS
