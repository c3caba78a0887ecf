/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "clap-catalog.h"
#include "clap-request.h"
#include "clap-task-info.h"

G_BEGIN_DECLS

/* How long the provider keeps a result downloadable (the contract: 7 days). */
#define CLAP_RESULT_LIFETIME_MS ((gint64) 7 * 24 * 3600 * 1000)

/* The longest web address of a result Clapboard fetches or keeps. */
#define CLAP_TASK_URL_MAX_LENGTH 2048

#define CLAP_TYPE_TASK (clap_task_get_type ())
G_DECLARE_FINAL_TYPE (ClapTask, clap_task, CLAP, TASK, GObject)

ClapTask      *clap_task_new_for_request    (ClapRequest   *request);

const char    *clap_task_get_uid            (ClapTask      *self);
gint64         clap_task_get_submit_time    (ClapTask      *self);
gint64         clap_task_get_row_id         (ClapTask      *self);
void           clap_task_set_row_id         (ClapTask      *self,
                                             gint64         row_id);
const char    *clap_task_get_task_id        (ClapTask      *self);
void           clap_task_set_task_id        (ClapTask      *self,
                                             const char    *task_id);
const char    *clap_task_get_model          (ClapTask      *self);
const char    *clap_task_get_prompt         (ClapTask      *self);
JsonNode      *clap_task_get_settings       (ClapTask      *self);
void           clap_task_set_settings       (ClapTask      *self,
                                             JsonNode      *settings);
ClapRequest   *clap_task_dup_request        (ClapTask      *self);
char          *clap_task_dup_description    (ClapTask      *self);
ClapTaskState  clap_task_get_state          (ClapTask      *self);
void           clap_task_set_state          (ClapTask      *self,
                                             ClapTaskState  state);
gint64         clap_task_get_create_time    (ClapTask      *self);
void           clap_task_set_create_time    (ClapTask      *self,
                                             gint64         ms);
gint64         clap_task_get_complete_time  (ClapTask      *self);
void           clap_task_set_complete_time  (ClapTask      *self,
                                             gint64         ms);
const char * const *clap_task_get_result_urls (ClapTask    *self);
void           clap_task_set_result_urls    (ClapTask      *self,
                                             const char * const *urls);
const char    *clap_task_get_result_url     (ClapTask      *self);
const char    *clap_task_get_thumbnail_url  (ClapTask      *self);
void           clap_task_set_thumbnail_url  (ClapTask      *self,
                                             const char    *url);
const char    *clap_task_get_local_file     (ClapTask      *self);
void           clap_task_set_local_file     (ClapTask      *self,
                                             const char    *path);
const char    *clap_task_get_thumbnail_file (ClapTask      *self);
void           clap_task_set_thumbnail_file (ClapTask      *self,
                                             const char    *path);
const char    *clap_task_get_fail_message   (ClapTask      *self);
void           clap_task_set_fail_message   (ClapTask      *self,
                                             const char    *message);
const char    *clap_task_get_error_message  (ClapTask      *self);
void           clap_task_set_error_message  (ClapTask      *self,
                                             const char    *message);
const char    *clap_task_get_warning        (ClapTask      *self);
void           clap_task_set_warning        (ClapTask      *self,
                                             const char    *warning);
const char    *clap_task_get_service_state  (ClapTask      *self);
void           clap_task_set_service_state  (ClapTask      *self,
                                             const char    *service_state);
ClapPrice      clap_task_get_cost           (ClapTask      *self);
void           clap_task_set_cost           (ClapTask      *self,
                                             ClapPrice      cost);
double         clap_task_get_progress       (ClapTask      *self);
void           clap_task_set_progress       (ClapTask      *self,
                                             double         progress);
gint64         clap_task_get_saved_time     (ClapTask      *self);
void           clap_task_set_saved_time     (ClapTask      *self,
                                             gint64         ms);

gint64         clap_task_get_refused_time   (ClapTask      *self);
void           clap_task_set_refused_time   (ClapTask      *self,
                                             gint64         ms);
gint64         clap_task_get_evicted_time   (ClapTask      *self);
void           clap_task_set_evicted_time   (ClapTask      *self,
                                             gint64         ms);
gint64         clap_task_get_result_expiry  (ClapTask      *self);

gboolean       clap_task_apply_info         (ClapTask           *self,
                                             const ClapTaskInfo *info,
                                             GError            **error);
gboolean       clap_task_is_missing_link    (ClapTask      *self);
gboolean       clap_task_needs_download     (ClapTask      *self);

G_END_DECLS
