/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "clap-sim-server.h"

G_BEGIN_DECLS

#define SIM_KEY "test-key"

/* An in-process simulator and a plain SoupSession talking to it. Both run
 * on the test's main context: requests are sent asynchronously and the
 * context is iterated until they are answered. */
typedef struct {
  ClapSimServer *server;
  SoupSession   *session;
  char          *base;
  char          *tmp_dir;
} SimFixture;

typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
  GError             *error;
  JsonNode           *json;
  gboolean            done;
} SimResponse;

void         sim_fixture_setup      (SimFixture    *fx,
                                     gconstpointer  data);
void         sim_fixture_teardown   (SimFixture    *fx,
                                     gconstpointer  data);
char        *sim_fixture_use_result_file (SimFixture *fx,
                                          gsize       size);

SoupMessage *sim_message_new        (SimFixture    *fx,
                                     const char    *method,
                                     const char    *path,
                                     const char    *key);
SimResponse *sim_send               (SimFixture    *fx,
                                     SoupMessage   *msg);
SimResponse *sim_request            (SimFixture    *fx,
                                     const char    *method,
                                     const char    *path,
                                     const char    *key,
                                     const char    *json_body);
void         sim_response_free      (SimResponse   *response);

JsonObject  *sim_response_object    (SimResponse   *response);
void         sim_assert_envelope    (SimResponse   *response,
                                     guint          status,
                                     gint64         code,
                                     const char    *msg_contains);
JsonObject  *sim_response_data      (SimResponse   *response);
const char  *sim_response_text      (SimResponse   *response);

char        *sim_create             (SimFixture    *fx,
                                     const char    *json_body);
JsonObject  *sim_query              (SimFixture    *fx,
                                     const char    *task_id);
JsonObject  *sim_wait_state         (SimFixture    *fx,
                                     const char    *task_id,
                                     const char    *state);
char        *sim_upload             (SimFixture    *fx,
                                     const char    *filename,
                                     const char    *content_type,
                                     GBytes        *bytes);
char        *sim_download           (SimFixture    *fx,
                                     const char    *url,
                                     const char    *name);

/* Any dialect: answers whose envelope code may be a number or a string. */
void         sim_set_dialect        (SimFixture    *fx,
                                     const char    *name);
JsonArray   *sim_list_tasks         (SimFixture    *fx);
void         sim_assert_code        (JsonObject    *envelope,
                                     gint64         code,
                                     gboolean       as_string);
JsonObject  *sim_dialect_create     (SimFixture    *fx,
                                     const char    *json_body,
                                     char         **id);
JsonObject  *sim_dialect_query      (SimFixture    *fx,
                                     const char    *task_id);
JsonObject  *sim_dialect_wait       (SimFixture    *fx,
                                     const char    *task_id,
                                     const char    *state_member,
                                     const char    *state);

void         sim_iterate_for        (guint          ms);
void         sim_wait_until         (gboolean     (*condition) (gpointer data),
                                     gpointer       data,
                                     guint          timeout_ms);

GBytes      *sim_pattern_bytes      (gsize          size);
GBytes      *sim_read_file          (const char    *path);
char        *sim_make_clip          (const char    *dir,
                                     const char    *name,
                                     double         seconds,
                                     guint          width,
                                     guint          height);
char        *sim_make_png           (const char    *dir,
                                     const char    *name,
                                     guint          width,
                                     guint          height);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimResponse, sim_response_free)

G_END_DECLS
