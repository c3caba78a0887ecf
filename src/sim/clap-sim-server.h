/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * ClapSimEndpoint:
 * @CLAP_SIM_ENDPOINT_CREATE: `POST /api/v1/video/generations`
 * @CLAP_SIM_ENDPOINT_QUERY: `GET /api/v1/video/generations?task_id=`
 * @CLAP_SIM_ENDPOINT_FILES: `POST /api/v1/files` (JSON or multipart)
 * @CLAP_SIM_ENDPOINT_UPLOAD_PUT: `PUT /upload/TOKEN` (the presigned URL)
 * @CLAP_SIM_ENDPOINT_FILE_GET: `GET /files/ID/NAME` (an uploaded file)
 * @CLAP_SIM_ENDPOINT_RESULT_GET: `GET /results/ID.mp4`
 * @CLAP_SIM_ENDPOINT_THUMBNAIL_GET: `GET /results/ID.jpg`
 * @CLAP_SIM_ENDPOINT_CALLBACK: the simulator's own POSTs to `callback_url`
 *
 * The routes faults can be injected into and requests are counted for.
 * Their nicks ("create", "upload-put", …) are the names `POST /sim/faults`
 * and `GET /sim/stats` use.
 */
typedef enum {
  CLAP_SIM_ENDPOINT_CREATE,
  CLAP_SIM_ENDPOINT_QUERY,
  CLAP_SIM_ENDPOINT_FILES,
  CLAP_SIM_ENDPOINT_UPLOAD_PUT,
  CLAP_SIM_ENDPOINT_FILE_GET,
  CLAP_SIM_ENDPOINT_RESULT_GET,
  CLAP_SIM_ENDPOINT_THUMBNAIL_GET,
  CLAP_SIM_ENDPOINT_CALLBACK,
} ClapSimEndpoint;

/**
 * ClapSimFault:
 * @CLAP_SIM_FAULT_NONE: answer normally (injecting it clears the queue)
 * @CLAP_SIM_FAULT_HTTP_500: HTTP 500 with a code 500 envelope
 * @CLAP_SIM_FAULT_ENVELOPE_500: HTTP 200 whose envelope says code 500
 * @CLAP_SIM_FAULT_HTTP_429: HTTP 429, `Retry-After: 1`, code 1302
 * @CLAP_SIM_FAULT_HTTP_429_NO_RETRY_AFTER: HTTP 429 without Retry-After, code 1303
 * @CLAP_SIM_FAULT_GARBAGE: HTTP 200, `application/json`, bytes that are not JSON
 * @CLAP_SIM_FAULT_HTML: HTTP 502 with a `text/html` error page, as a proxy sends
 * @CLAP_SIM_FAULT_TRUNCATED: the normal answer with its body cut in half (the
 *   HTTP message itself is well formed)
 * @CLAP_SIM_FAULT_MISSING_DATA: HTTP 200, code 200, no `data` member
 * @CLAP_SIM_FAULT_SLOW: the normal answer, sent after #ClapSimServer:slow-ms
 * @CLAP_SIM_FAULT_DROP: the connection is closed without an answer
 * @CLAP_SIM_FAULT_HTTP_404: HTTP 404 with a code 404 envelope
 * @CLAP_SIM_FAULT_HTTP_403: HTTP 403 with a code 403 envelope
 * @CLAP_SIM_FAULT_CREATED_THEN_DROP: the request is carried out (a create
 *   makes its task), then the connection is closed without an answer
 *
 * What the next requests of an endpoint answer. Faults that only look like
 * a normal answer (TRUNCATED, SLOW, CREATED_THEN_DROP) carry the request out
 * first; all the others answer before anything happens, so a create that
 * gets them makes no task. Nicks ("http-500", "created-then-drop", …) are
 * the names used by `POST /sim/faults` and the `[sim:…]` prompt keywords.
 */
typedef enum {
  CLAP_SIM_FAULT_NONE,
  CLAP_SIM_FAULT_HTTP_500,
  CLAP_SIM_FAULT_ENVELOPE_500,
  CLAP_SIM_FAULT_HTTP_429,
  CLAP_SIM_FAULT_HTTP_429_NO_RETRY_AFTER,
  CLAP_SIM_FAULT_GARBAGE,
  CLAP_SIM_FAULT_HTML,
  CLAP_SIM_FAULT_TRUNCATED,
  CLAP_SIM_FAULT_MISSING_DATA,
  CLAP_SIM_FAULT_SLOW,
  CLAP_SIM_FAULT_DROP,
  CLAP_SIM_FAULT_HTTP_404,
  CLAP_SIM_FAULT_HTTP_403,
  CLAP_SIM_FAULT_CREATED_THEN_DROP,
} ClapSimFault;

/**
 * ClapSimDialect:
 * @CLAP_SIM_DIALECT_SEED: the provider's kling-video page, as CONTRACT.md
 *   writes it: `taskId`, `state`, `resultUrls`, `failMsg`, times in ms
 * @CLAP_SIM_DIALECT_GATEWAY: the provider's gateway as its production
 *   clients read it: `task_id` / numeric `id`, `status`
 *   (`queued`/`running`/`succeeded`…), `videos` or `video_url`, `error` or
 *   `fail_reason`, times in seconds or ISO 8601, `code` as the string
 *   "200"; motion control wants `input_urls`, `video_urls` and `mode`
 *   `720p`/`1080p`
 * @CLAP_SIM_DIALECT_KLING_NATIVE: Kling's own task fields passed through the
 *   provider's envelope: `task_id`, `task_status`
 *   (`submitted`/`processing`/`succeed`/`failed`), `task_status_msg`,
 *   `task_result.videos[].url` or `resultJson`, times in ms or numeric
 *   strings
 *
 * The shapes the simulator answers creates, queries and callbacks in,
 * each made only of the variants CONTRACT.md's "Dialects seen in the
 * wild" lists. Nicks ("seed", "gateway", "kling-native") are the names of
 * `clapboard-sim --dialect`, `POST /sim/dialect` and
 * `CLAPBOARD_SIM_DIALECT`.
 */
typedef enum {
  CLAP_SIM_DIALECT_SEED,
  CLAP_SIM_DIALECT_GATEWAY,
  CLAP_SIM_DIALECT_KLING_NATIVE,
} ClapSimDialect;

G_END_DECLS

#include "clap-sim-enums.h"

G_BEGIN_DECLS

#define CLAP_TYPE_SIM_SERVER (clap_sim_server_get_type ())

G_DECLARE_FINAL_TYPE (ClapSimServer, clap_sim_server, CLAP, SIM_SERVER, GObject)

ClapSimServer *clap_sim_server_new               (void);
gboolean       clap_sim_server_listen            (ClapSimServer   *self,
                                                  guint            port,
                                                  GError         **error);
char          *clap_sim_server_dup_base_url      (ClapSimServer   *self);
void           clap_sim_server_inject_fault      (ClapSimServer   *self,
                                                  ClapSimEndpoint  endpoint,
                                                  ClapSimFault     fault,
                                                  guint            count);
guint          clap_sim_server_get_request_count (ClapSimServer   *self,
                                                  ClapSimEndpoint  endpoint);
ClapSimDialect clap_sim_server_get_dialect       (ClapSimServer   *self);
void           clap_sim_server_set_dialect       (ClapSimServer   *self,
                                                  ClapSimDialect   dialect);

G_END_DECLS
