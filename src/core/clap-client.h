/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clap-envelope.h"
#include "clap-request.h"
#include "clap-task-info.h"

G_BEGIN_DECLS

#define CLAP_TYPE_CLIENT (clap_client_get_type ())
G_DECLARE_FINAL_TYPE (ClapClient, clap_client, CLAP, CLIENT, GObject)

#define CLAP_DEFAULT_BASE_URL "https://apimodels.app"

/* A result may be at most this large, whatever the take (a clip of 30 s at
 * 1080p is a few tens of megabytes). */
#define CLAP_RESULT_MAX_BYTES       ((guint64) 1024 * 1024 * 1024)
/* A generous bound of a result's bytes per second of video, and the room
 * given on top, from which a take's own cap is derived. */
#define CLAP_RESULT_BYTES_PER_SECOND ((guint64) 4 * 1024 * 1024)
#define CLAP_RESULT_BYTES_SLACK      ((guint64) 32 * 1024 * 1024)
/* A thumbnail is a small picture. */
#define CLAP_THUMBNAIL_MAX_BYTES     ((guint64) 8 * 1024 * 1024)

/* What a download must be: its first bytes are checked before anything is
 * kept, so that a page or a message served in its place is never saved. */
typedef enum {
  CLAP_DOWNLOAD_KIND_VIDEO,   /* an MP4/MOV container: "ftyp" at bytes 4 to 7 */
  CLAP_DOWNLOAD_KIND_PICTURE, /* a JPEG, PNG or WebP picture (a thumbnail) */
} ClapDownloadKind;

/* Called on the main context as bytes arrive; @total is -1 when unknown. */
typedef void (*ClapProgressFunc) (goffset  received,
                                  goffset  total,
                                  gpointer user_data);

ClapClient   *clap_client_new                (const char          *base_url,
                                              const char          *api_key,
                                              GError             **error);
const char   *clap_client_get_base_url       (ClapClient          *self);
void          clap_client_set_api_key        (ClapClient          *self,
                                              const char          *api_key);
gboolean      clap_client_has_api_key        (ClapClient          *self);
void          clap_client_set_retry_policy   (ClapClient          *self,
                                              guint                max_attempts,
                                              guint                base_delay_ms,
                                              guint                max_delay_ms);
void          clap_client_set_timeout        (ClapClient          *self,
                                              guint                seconds);

void          clap_client_create_async       (ClapClient          *self,
                                              ClapRequest         *request,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
ClapTaskInfo *clap_client_create_finish      (ClapClient          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

void          clap_client_query_async        (ClapClient          *self,
                                              const char          *task_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
ClapTaskInfo *clap_client_query_finish       (ClapClient          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

void          clap_client_upload_async       (ClapClient          *self,
                                              GFile               *file,
                                              const char          *content_type,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
char         *clap_client_upload_finish      (ClapClient          *self,
                                              GAsyncResult        *result,
                                              GDateTime          **expires_at,
                                              GError             **error);

void          clap_client_download_async     (ClapClient          *self,
                                              const char          *url,
                                              GFile               *destination,
                                              guint64              max_bytes,
                                              ClapDownloadKind     kind,
                                              ClapProgressFunc     progress,
                                              gpointer             progress_data,
                                              GDestroyNotify       progress_notify,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean      clap_client_download_finish    (ClapClient          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

guint64       clap_client_result_max_bytes   (guint                duration_s);

void          clap_client_check_async        (ClapClient          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean      clap_client_check_finish       (ClapClient          *self,
                                              GAsyncResult        *result,
                                              guint               *round_trip_ms,
                                              guint               *http_status,
                                              GError             **error);

JsonNode     *clap_client_dup_exchange       (GAsyncResult        *result);

G_END_DECLS
