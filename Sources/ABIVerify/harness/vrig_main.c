// SPDX-License-Identifier: GPL-2.0
/*
 * vrig PLAN: what `pvgen verify` runs. PLAN (written by pvgen verify) names
 * the module, the offsets it read from the module's DWARF, the functions to
 * call and the model's entry layout for the host scans. Output: one JSON
 * document on standard output:
 *
 *   "host":      what the compiled host stub does, found by calling it: its
 *                fingerprint symbol, the port and magic its doorbell answers,
 *                how it treats each op code, the largest count it accepts, and
 *                how it answers each hypercall number (and from which argument
 *                it takes each value); with a ring state: the port and magic
 *                of its ring, the numbers whose call attaches a ring, what
 *                each ring operation code (0-4095) does by port and by call,
 *                and the flags it writes;
 *   "runs":      guest functions executed (Unicorn for vmcall, KVM for the
 *                doorbell), with every vmcall's registers, every doorbell and
 *                device access, the queue as the guest left it at each exit,
 *                and the accesses the host stub made for it; the ring runs
 *                (the module's probe with transport=ring, a batch posted to
 *                the ring it attached, and its devm action that detaches it)
 *                also with the named ring's header after each call.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vrig.h"

#define SCAN_QUEUE	0x100000ULL	/* page-aligned queue of the host scans */
#define SCAN_PORT	0x170		/* any port but pvgen's window is allowed */
#define SCAN_RING	0x300000ULL	/* the ring of the host's ring scans */
#define KVM_ENOSYS_RET	(-1000L)

static struct vrig_host *cur;

void vrig_host_use(struct vrig_host *h)
{
	cur = h;
}

static void trace_add(struct vrig_trace *t, char dir, uint16_t port,
		      uint8_t width, uint32_t value)
{
	if (t->n >= VRIG_MAX_TRACE) {
		t->overflow = true;
		return;
	}
	t->a[t->n++] = (struct vrig_access){ dir, width, port, value };
}

static uint32_t width_mask(uint8_t width)
{
	return width >= 4 ? 0xffffffffU : (1U << (8 * width)) - 1;
}

uint32_t vrig_device_in(struct vrig_trace *t, uint16_t port, uint8_t width)
{
	uint32_t v = (cur ? cur->device_value : 0x50) & width_mask(width);

	if (t)
		trace_add(t, 'i', port, width, v);
	return v;
}

void vrig_device_out(struct vrig_trace *t, uint16_t port, uint8_t width,
		     uint32_t value)
{
	if (t)
		trace_add(t, 'o', port, width, value);
}

/* The host stub's callbacks: guest memory and the device, recorded. */
static int cb_read(void *opaque, uint64_t gpa, void *dst, uint32_t len)
{
	(void)opaque;
	if (gpa > VRIG_MEM_SIZE || len > VRIG_MEM_SIZE - gpa)
		return -1;
	memcpy(dst, cur->mem + gpa, len);
	cur->reads++;
	cur->last_read_gpa = gpa;
	cur->last_read_len = len;
	return 0;
}

static int cb_write(void *opaque, uint64_t gpa, const void *src, uint32_t len)
{
	(void)opaque;
	if (gpa > VRIG_MEM_SIZE || len > VRIG_MEM_SIZE - gpa)
		return -1;
	memcpy(cur->mem + gpa, src, len);
	cur->writes++;
	return 0;
}

static int cb_in(void *opaque, uint16_t port, uint8_t width, uint32_t *value)
{
	(void)opaque;
	*value = vrig_device_in(&cur->trace, port, width);
	return 0;
}

static int cb_out(void *opaque, uint16_t port, uint8_t width, uint32_t value)
{
	(void)opaque;
	vrig_device_out(&cur->trace, port, width, value);
	return 0;
}

/* Recording what the guest does. */

struct vrig_event *vrig_event(struct vrig_ctx *c, enum vrig_event_type type)
{
	struct vrig_event *e;

	if (c->run->nev >= sizeof(c->run->ev) / sizeof(c->run->ev[0])) {
		c->run->events_overflow = true;
		return NULL;
	}
	e = &c->run->ev[c->run->nev++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->queue = -1;
	return e;
}

void vrig_fault(struct vrig_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->run->faulted)
		return;
	c->run->faulted = true;
	va_start(ap, fmt);
	vsnprintf(c->run->fault, sizeof(c->run->fault), fmt, ap);
	va_end(ap);
}

/* The guest's own view at an exit: its queue address, count and queue. */
void vrig_snapshot(struct vrig_ctx *c, struct vrig_event *e)
{
	const struct vrig_plan *p = c->plan;
	uint64_t queue = vrig_get(c->mem, VRIG_PP + p->pp_queue.offset, 8);
	uint64_t len;

	e->pp_gpa = vrig_get(c->mem, VRIG_PP + p->pp_gpa.offset, p->pp_gpa.size);
	e->pp_count = vrig_get(c->mem, VRIG_PP + p->pp_count.offset,
			       p->pp_count.size);
	len = e->pp_count * (uint64_t)p->guest_entry_size;
	if (len > sizeof(c->run->queues[0]))
		len = sizeof(c->run->queues[0]);
	if (queue < VRIG_MEM_SIZE && queue + len <= VRIG_MEM_SIZE &&
	    c->run->nqueues < VRIG_MAX_QUEUES) {
		e->queue = c->run->nqueues++;
		memcpy(c->run->queues[e->queue], c->mem + queue, len);
		e->queue_len = len;
	}
	c->host->reads = 0;
	c->host->last_read_gpa = 0;
	c->host->last_read_len = 0;
}

/* What the host stub read of guest memory while it served @e. */
static void host_reads(struct vrig_ctx *c, struct vrig_event *e)
{
	e->host_reads = c->host->reads;
	e->host_read_gpa = c->host->last_read_gpa;
	e->host_read_len = c->host->last_read_len;
}

/* After a ring call naming @value: that ring's magic, slot count and flags. */
static void ring_head(struct vrig_ctx *c, struct vrig_event *e, uint64_t value)
{
	const struct vrig_plan *p = c->plan;
	uint64_t gpa = value & ~0xfffULL;

	if (!c->ring || !e || gpa >= VRIG_MEM_SIZE ||
	    p->model_ring_size > VRIG_MEM_SIZE - gpa)
		return;
	e->ring_head = true;
	e->ring_magic = vrig_get(c->mem, gpa + p->mr_magic.offset, 4);
	e->ring_slots = vrig_get(c->mem, gpa + p->mr_slots.offset, 4);
	e->ring_flags = vrig_get(c->mem, gpa + p->mr_flags.offset, 4);
}

long vrig_vmcall(struct vrig_ctx *c, uint64_t rip, uint64_t rax, uint64_t rbx,
		 uint64_t rcx, uint64_t rdx, uint64_t rsi)
{
	struct vrig_event *e = vrig_event(c, VRIG_EV_VMCALL);
	unsigned int first = c->host->trace.n;
	long ret;

	if (e) {
		e->rip = rip;
		e->rax = rax;
		e->rbx = rbx;
		e->rcx = rcx;
		e->rdx = rdx;
		e->rsi = rsi;
		vrig_snapshot(c, e);
	}
	/* KVM's order: nr = rax, a0 = rbx, a1 = rcx, a2 = rdx. */
	ret = c->ring ? vrig_shim_ring_hypercall(rax, rbx, rcx, rdx) :
			vrig_shim_hypercall(rax, rbx, rcx, rdx);
	ring_head(c, e, rbx);
	if (e) {
		e->host_ret = ret;
		e->host_first = first;
		e->host_n = c->host->trace.n - first;
		host_reads(c, e);
	}
	return ret;
}

uint32_t vrig_port_in(struct vrig_ctx *c, uint16_t port, uint8_t width)
{
	struct vrig_event *e;
	uint32_t value;
	int ret;

	if (port == c->doorbell_port || (c->ring && port == c->ring_port)) {
		e = vrig_event(c, VRIG_EV_DOORBELL);
		value = 0;
		ret = c->ring ? vrig_shim_ring_doorbell_in(port, width, &value) :
				vrig_shim_doorbell_in(port, width, &value);
		if (e)
			e->host_ret = ret;
	} else {
		e = vrig_event(c, VRIG_EV_IO);
		value = vrig_device_in(NULL, port, width);
	}
	if (e) {
		e->dir = 'i';
		e->port = port;
		e->width = width;
		e->value = value;
	}
	return value;
}

void vrig_port_out(struct vrig_ctx *c, uint16_t port, uint8_t width,
		   uint32_t value)
{
	struct vrig_event *e;
	unsigned int first = c->host->trace.n;

	if (port == VRIG_WARN_PORT) {
		vrig_event(c, VRIG_EV_WARN);
		return;
	}
	if (port == c->doorbell_port || (c->ring && port == c->ring_port)) {
		long ret;

		e = vrig_event(c, VRIG_EV_DOORBELL);
		if (e)
			vrig_snapshot(c, e);
		ret = c->ring ? vrig_shim_ring_doorbell_out(port, width, value) :
				vrig_shim_doorbell_out(port, width, value);
		if (port == c->ring_port)
			ring_head(c, e, value);
		if (e) {
			e->host_ret = ret;
			e->host_first = first;
			e->host_n = c->host->trace.n - first;
			host_reads(c, e);
		}
	} else {
		e = vrig_event(c, VRIG_EV_IO);
	}
	if (e) {
		e->dir = 'o';
		e->port = port;
		e->width = width;
		e->value = value;
	}
}

/* The plan. */

static void field(const char *text, struct vrig_field *f)
{
	sscanf(text, "%ld %d", &f->offset, &f->size);
}

static int read_plan(const char *path, struct vrig_plan *p)
{
	char line[1024], key[64], rest[960];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	memset(p, 0, sizeof(*p));
	p->fill_calls = 0;
	p->fill_index = -1;
	p->ring_func = -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		rest[0] = 0;
		if (sscanf(line, "%63s %959[^\n]", key, rest) < 1 || key[0] == '#')
			continue;
		if (!strcmp(key, "ko"))
			snprintf(p->ko, sizeof(p->ko), "%.959s", rest);
		else if (!strcmp(key, "pp_size"))
			p->pp_size = strtol(rest, NULL, 0);
		else if (!strcmp(key, "pp_ap"))
			field(rest, &p->pp_ap);
		else if (!strcmp(key, "pp_transport"))
			field(rest, &p->pp_transport);
		else if (!strcmp(key, "pp_queue"))
			field(rest, &p->pp_queue);
		else if (!strcmp(key, "pp_gpa"))
			field(rest, &p->pp_gpa);
		else if (!strcmp(key, "pp_count"))
			field(rest, &p->pp_count);
		else if (!strcmp(key, "pp_hold"))
			field(rest, &p->pp_hold);
		else if (!strcmp(key, "pp_cut"))
			field(rest, &p->pp_cut);
		else if (!strcmp(key, "pp_ring"))
			field(rest, &p->pp_ring);
		else if (!strcmp(key, "pp_block") && p->nblocks < 16) {
			unsigned long long v;

			sscanf(rest, "%63s %ld %d %lli", p->blocks[p->nblocks].name,
			       &p->blocks[p->nblocks].f.offset,
			       &p->blocks[p->nblocks].f.size, &v);
			p->blocks[p->nblocks++].value = v;
		} else if (!strcmp(key, "ap_size"))
			p->ap_size = strtol(rest, NULL, 0);
		else if (!strcmp(key, "ap_private_data"))
			p->ap_private_data = strtol(rest, NULL, 0);
		else if (!strcmp(key, "guest_entry_size"))
			p->guest_entry_size = strtol(rest, NULL, 0);
		else if (!strcmp(key, "transport")) {
			char name[32];
			int v;

			sscanf(rest, "%31s %d", name, &v);
			if (!strcmp(name, "auto"))
				p->transport_auto = v;
			else if (!strcmp(name, "vmcall"))
				p->transport_vmcall = v;
			else if (!strcmp(name, "doorbell"))
				p->transport_doorbell = v;
			else if (!strcmp(name, "direct"))
				p->transport_direct = v;
			else if (!strcmp(name, "ring"))
				p->transport_ring = v;
		} else if (!strcmp(key, "sym_init"))
			snprintf(p->sym_init, sizeof(p->sym_init), "%.127s", rest);
		else if (!strcmp(key, "sym_submit"))
			snprintf(p->sym_submit, sizeof(p->sym_submit), "%.127s", rest);
		else if (!strcmp(key, "sym_param"))
			snprintf(p->sym_param, sizeof(p->sym_param), "%.127s", rest);
		else if (!strcmp(key, "sym_decode"))
			snprintf(p->sym_decode, sizeof(p->sym_decode), "%.127s", rest);
		else if (!strcmp(key, "guest_field")) {
			char name[32];
			struct vrig_field fl = { 0, 0 };

			sscanf(rest, "%31s %ld %d", name, &fl.offset, &fl.size);
			if (!strcmp(name, "op"))
				p->g_op = fl;
			else if (!strcmp(name, "width"))
				p->g_width = fl;
			else if (!strcmp(name, "port"))
				p->g_port = fl;
			else if (!strcmp(name, "value"))
				p->g_value = fl;
			else if (!strcmp(name, "mask"))
				p->g_mask = fl;
			else if (!strcmp(name, "result"))
				p->g_result = fl;
		} else if (!strcmp(key, "sym_active"))
			snprintf(p->sym_active, sizeof(p->sym_active), "%.127s", rest);
		else if (!strcmp(key, "func") && p->nfuncs < VRIG_MAX_FUNCS) {
			struct vrig_func *fn = &p->funcs[p->nfuncs++];
			char *save = NULL, *tok = strtok_r(rest, " ", &save);

			snprintf(fn->name, sizeof(fn->name), "%.127s", tok ? tok : "");
			while ((tok = strtok_r(NULL, " ", &save)) &&
			       fn->nargs < VRIG_MAX_ARGS) {
				snprintf(fn->kind[fn->nargs], sizeof(fn->kind[0]), "%s",
					 tok);
				if (!strncmp(tok, "chan:", 5))
					fn->chan_offset[fn->nargs] = strtol(tok + 5, NULL, 0);
				fn->nargs++;
			}
		} else if (!strcmp(key, "fill"))
			sscanf(rest, "%d %d", &p->fill_index, &p->fill_calls);
		else if (!strcmp(key, "use_kvm"))
			p->use_kvm = strtol(rest, NULL, 0);
		else if (!strcmp(key, "model_entry_size"))
			p->model_entry_size = strtol(rest, NULL, 0);
		else if (!strcmp(key, "model_field")) {
			char name[32];
			struct vrig_field fl = { 0, 0 };

			sscanf(rest, "%31s %ld %d", name, &fl.offset, &fl.size);
			if (!strcmp(name, "op"))
				p->m_op = fl;
			else if (!strcmp(name, "width"))
				p->m_width = fl;
			else if (!strcmp(name, "port"))
				p->m_port = fl;
			else if (!strcmp(name, "value"))
				p->m_value = fl;
			else if (!strcmp(name, "mask"))
				p->m_mask = fl;
			else if (!strcmp(name, "result"))
				p->m_result = fl;
		} else if (!strcmp(key, "model_out"))
			p->model_out = strtol(rest, NULL, 0);
		else if (!strcmp(key, "model_in"))
			p->model_in = strtol(rest, NULL, 0);
		else if (!strcmp(key, "model_result_pending"))
			p->model_result_pending = strtol(rest, NULL, 0);
		else if (!strcmp(key, "model_err_count"))
			p->model_err_count = strtol(rest, NULL, 0);
		else if (!strcmp(key, "model_nr") && p->nmodel_nrs < 8)
			p->model_nrs[p->nmodel_nrs++] = strtoull(rest, NULL, 0);
		else if (!strcmp(key, "model_ring_field")) {
			char name[32];
			struct vrig_field fl = { 0, 0 };

			sscanf(rest, "%31s %ld %d", name, &fl.offset, &fl.size);
			if (!strcmp(name, "magic"))
				p->mr_magic = fl;
			else if (!strcmp(name, "nr_slots"))
				p->mr_slots = fl;
			else if (!strcmp(name, "flags"))
				p->mr_flags = fl;
			else if (!strcmp(name, "prod"))
				p->mr_prod = fl;
			else if (!strcmp(name, "cons"))
				p->mr_cons = fl;
			else if (!strcmp(name, "count"))
				p->mr_count = fl;
			else if (!strcmp(name, "ret"))
				p->mr_ret = fl;
		} else if (!strcmp(key, "model_ring_magic"))
			p->model_ring_magic = strtoul(rest, NULL, 0);
		else if (!strcmp(key, "model_ring_slots"))
			p->model_ring_slots = strtoul(rest, NULL, 0);
		else if (!strcmp(key, "model_ring_slots_offset"))
			p->model_ring_slots_offset = strtoul(rest, NULL, 0);
		else if (!strcmp(key, "model_ring_size"))
			p->model_ring_size = strtoul(rest, NULL, 0);
		else if (!strcmp(key, "model_ring_slot_bytes"))
			p->model_ring_slot_bytes = strtoul(rest, NULL, 0);
		else if (!strcmp(key, "model_ring_op_mask"))
			p->model_ring_op_mask = strtoul(rest, NULL, 0);
		else if (!strcmp(key, "ring_func"))
			p->ring_func = strtol(rest, NULL, 0);
	}
	fclose(f);
	return 0;
}

/* JSON output. */

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void json_trace(const struct vrig_trace *t, unsigned int first,
		       unsigned int n)
{
	unsigned int i;

	printf("[");
	for (i = 0; i < n && first + i < t->n; i++) {
		const struct vrig_access *a = &t->a[first + i];

		printf("%s{\"dir\":\"%c\",\"width\":%u,\"port\":%u,\"value\":%u}",
		       i ? "," : "", a->dir, a->width, a->port, a->value);
	}
	printf("]");
}

static void json_hex(const uint8_t *b, unsigned int n)
{
	unsigned int i;

	putchar('"');
	for (i = 0; i < n; i++)
		printf("%02x", b[i]);
	putchar('"');
}

/* The host scans: the compiled stub, called directly. */

static struct vrig_host scan;
static const struct vrig_plan *plan;

static void put_entry(uint64_t at, int op, int width, int port, uint32_t value,
		      uint32_t mask)
{
	vrig_put(scan.mem, at + plan->m_op.offset, plan->m_op.size, op);
	vrig_put(scan.mem, at + plan->m_width.offset, plan->m_width.size, width);
	vrig_put(scan.mem, at + plan->m_port.offset, plan->m_port.size, port);
	vrig_put(scan.mem, at + plan->m_value.offset, plan->m_value.size, value);
	vrig_put(scan.mem, at + plan->m_mask.offset, plan->m_mask.size, mask);
	vrig_put(scan.mem, at + plan->m_result.offset, plan->m_result.size,
		 plan->model_result_pending);
}

static void scan_reset(void)
{
	memset(&scan.trace, 0, sizeof(scan.trace));
	scan.reads = scan.writes = 0;
	scan.device_value = 0x50;
	memset(scan.mem + SCAN_QUEUE, 0, 0x10000);
}

static bool trace_is(const char *pattern)
{
	unsigned int i;

	if (strlen(pattern) != scan.trace.n)
		return false;
	for (i = 0; i < scan.trace.n; i++) {
		if (scan.trace.a[i].dir != pattern[i])
			return false;
	}
	return true;
}

/*
 * A read op with a mask: two entries expecting bit 0 set, on a port that
 * reads 0xff. IN_WAIT stops after the first (a mask bit is set), IN_EXPECT
 * runs both (the expectation holds), IN refuses a mask.
 */
static const char *classify_masked_read(int code)
{
	long ret;

	scan_reset();
	scan.device_value = 0xff;
	put_entry(SCAN_QUEUE, code, 1, SCAN_PORT, 1, 1);
	put_entry(SCAN_QUEUE + plan->model_entry_size, code, 1, SCAN_PORT, 1,
		  1);
	ret = vrig_shim_run_batch(SCAN_QUEUE, 2);
	scan.device_value = 0x50;
	if (ret == 1 && trace_is("i"))
		return "in_wait";
	if (ret == 2 && trace_is("ii"))
		return "in_expect";
	return "in";
}

/*
 * What the host does with one entry of op @code: out, in, in_wait, rmw,
 * in_expect.
 */
static const char *classify_op(int code, long *refused)
{
	long ret;

	scan_reset();
	put_entry(SCAN_QUEUE, code, 1, SCAN_PORT, 0x5a, 0);
	ret = vrig_shim_run_batch(SCAN_QUEUE, 1);
	*refused = 0;
	if (ret < 0) {
		/* IN_EXPECT refuses expected bits outside its (empty) mask. */
		if (!strcmp(classify_masked_read(code), "in_expect"))
			return "in_expect";
		*refused = ret;
		return NULL;
	}
	if (trace_is("o") && scan.trace.a[0].value == 0x5a)
		return "out";
	if (trace_is("io") && scan.trace.a[1].value == 0x5a)	/* (read & 0) | 0x5a */
		return "rmw";
	if (trace_is("i"))
		return classify_masked_read(code);
	return "other";
}

static int host_out_code = -1;

static void scan_ops(void)
{
	long refused, common = 0;
	const char *kind;
	int code, n = 0;

	printf("\"ops\":[");
	for (code = 0; code < 256; code++) {
		kind = classify_op(code, &refused);
		if (!kind) {
			common = refused;
			continue;
		}
		if (!strcmp(kind, "out") && host_out_code < 0)
			host_out_code = code;
		printf("%s{\"code\":%d,\"kind\":\"%s\"}", n++ ? "," : "", code, kind);
	}
	printf("],\"op_refusal\":%ld,", common);
}

static void scan_max_entries(void)
{
	int out = host_out_code >= 0 ? host_out_code : plan->model_out;
	long ret = 0;
	int n, max = -1;

	for (n = 1; n <= 4095; n++) {
		int i;

		scan_reset();
		for (i = 0; i < n && (uint64_t)i * plan->model_entry_size < 0x10000; i++)
			put_entry(SCAN_QUEUE + (uint64_t)i * plan->model_entry_size, out,
				  1, SCAN_PORT, i & 0xff, 0);
		ret = vrig_shim_run_batch(SCAN_QUEUE, n);
		if (ret == plan->model_err_count) {
			max = n - 1;
			break;
		}
	}
	printf("\"max_entries\":%d,\"max_entries_refusal\":%ld,", max, ret);
}

static void scan_doorbell(void)
{
	uint32_t value, narrow[3];
	int port, n = 0, first = -1;

	printf("\"doorbell_in\":[");
	for (port = 0; port < 65536; port++) {
		value = 0;
		if (vrig_shim_doorbell_in(port, 4, &value) == 0) {
			printf("%s{\"port\":%d,\"value\":%u}", n++ ? "," : "", port,
			       value);
			if (first < 0)
				first = port;
		}
	}
	printf("],");
	if (first >= 0) {
		vrig_shim_doorbell_in(first, 1, &narrow[0]);
		vrig_shim_doorbell_in(first, 2, &narrow[1]);
		printf("\"doorbell_narrow\":[%u,%u],", narrow[0], narrow[1]);
	}
}

/*
 * The ring scans: the compiled stub with a ring state, on a ring at
 * SCAN_RING laid out as the model says. The flags start as RING_SENTINEL, so
 * that any flags the host writes show.
 */
#define RING_SENTINEL	0xa5a5a5a5U

static uint32_t ring_magic;	/* what the scan's headers carry */

static uint32_t ring_get(const struct vrig_field *f)
{
	return vrig_get(scan.mem, SCAN_RING + f->offset, 4);
}

static void ring_scan_reset(void)
{
	scan_reset();
	memset(scan.mem + SCAN_RING, 0, plan->model_ring_size);
	vrig_put(scan.mem, SCAN_RING + plan->mr_magic.offset, 4, ring_magic);
	vrig_put(scan.mem, SCAN_RING + plan->mr_slots.offset, 4,
		 plan->model_ring_slots);
	vrig_put(scan.mem, SCAN_RING + plan->mr_flags.offset, 4, RING_SENTINEL);
	vrig_shim_ring_reset();
}

/* A ring call of SCAN_RING | @code: a 32-bit OUT to @port, or hypercall @nr. */
struct ring_via {
	bool by_port;
	uint16_t port;
	uint64_t nr;
};

static long ring_scan_call(const struct ring_via *via, uint32_t code)
{
	if (via->by_port)
		return vrig_shim_ring_doorbell_out(via->port, 4,
						   (uint32_t)SCAN_RING | code);
	return vrig_shim_ring_hypercall(via->nr, SCAN_RING | code, 0, 0);
}

static bool ring_scan_attached(void)
{
	uint64_t gpa;

	return vrig_shim_ring_attached(&gpa) && gpa == SCAN_RING;
}

/* Post one batch, one OUT to SCAN_PORT, as a guest does. */
static void ring_scan_post(void)
{
	uint32_t prod = ring_get(&plan->mr_prod);
	uint32_t slot = prod % plan->model_ring_slots;
	int out = host_out_code >= 0 ? host_out_code : plan->model_out;

	put_entry(SCAN_RING + plan->model_ring_slots_offset +
		  (uint64_t)slot * plan->model_ring_slot_bytes, out, 1, SCAN_PORT,
		  0x5a, 0);
	vrig_put(scan.mem, SCAN_RING + plan->mr_count.offset + slot * 4, 4, 1);
	vrig_put(scan.mem, SCAN_RING + plan->mr_prod.offset, 4, prod + 1);
}

/* The first code whose call attaches a fresh ring, or -1. */
static int ring_attach_code(const struct ring_via *via)
{
	uint32_t code;

	for (code = 0; code <= plan->model_ring_op_mask; code++) {
		ring_scan_reset();
		if (ring_scan_call(via, code) == 0 && ring_scan_attached())
			return code;
	}
	return -1;
}

static uint32_t attach_flags = RING_SENTINEL, detach_flags = RING_SENTINEL;

/*
 * What the host does with ring operation @code: attaches a fresh ring;
 * runs what an attached ring posted and keeps it (kick); runs it and lets
 * the ring go (detach); or refuses it (NULL, the answer in *refused).
 */
static const char *classify_ring_op(const struct ring_via *via, uint32_t code,
				    int attach, long *refused)
{
	bool attached;
	long ret;

	ring_scan_reset();
	ret = ring_scan_call(via, code);
	*refused = ret;
	if (ret == 0 && ring_scan_attached()) {
		attach_flags = ring_get(&plan->mr_flags);
		return "attach";
	}
	if (attach < 0)
		return NULL;
	ring_scan_reset();
	if (ring_scan_call(via, attach) != 0)
		return NULL;
	ring_scan_post();
	scan.trace.n = 0;
	ret = ring_scan_call(via, code);
	attached = ring_scan_attached();
	if (!trace_is("o"))
		return NULL;
	if (attached)
		return "kick";
	detach_flags = ring_get(&plan->mr_flags);
	return "detach";
}

static void scan_ring_ops(const char *key, const struct ring_via *via)
{
	int attach = ring_attach_code(via), n = 0;
	long refused, common = 0;
	const char *kind;
	uint32_t code;

	printf("\"%s\":[", key);
	for (code = 0; code <= plan->model_ring_op_mask; code++) {
		kind = classify_ring_op(via, code, attach, &refused);
		if (!kind) {
			common = refused;
			continue;
		}
		printf("%s{\"code\":%u,\"kind\":\"%s\"}", n++ ? "," : "", code,
		       kind);
	}
	printf("],\"%s_refusal\":%ld,", key, common);
}

/*
 * The ring side of the host: the ports where its ring answers (those that
 * answer with a ring state and not without), the numbers whose call attaches
 * a ring, what each operation code does through both, and the flags it
 * writes on attach and detach.
 */
static void scan_ring(const uint64_t *nrs, int nnrs)
{
	struct ring_via port = { .by_port = true }, call = { .by_port = false };
	uint32_t value, plain;
	int p, i, n = 0, first = -1;
	bool have_call = false;
	long kick_ret = 0;

	vrig_host_use(&scan);
	ring_magic = plan->model_ring_magic;
	printf(",\"ring\":{\"ports\":[");
	for (p = 0; p < 65536; p++) {
		value = plain = 0;
		if (vrig_shim_ring_doorbell_in(p, 4, &value) == 0 &&
		    vrig_shim_doorbell_in(p, 4, &plain) != 0) {
			printf("%s{\"port\":%d,\"value\":%u}", n++ ? "," : "", p,
			       value);
			if (first < 0) {
				first = p;
				ring_magic = value;
			}
		}
	}
	port.port = first >= 0 ? first : vrig_shim_header_ring_port();
	printf("],\"scan_port\":%u,\"nrs\":[", port.port);
	/* The first number whose call attaches a ring is the ring's. */
	for (i = 0; i < nnrs && !have_call; i++) {
		call.nr = nrs[i];
		have_call = ring_attach_code(&call) >= 0;
	}
	if (have_call)
		printf("\"0x%llx\"", (unsigned long long)call.nr);
	printf("],");
	scan_ring_ops("port_ops", &port);
	if (have_call)
		scan_ring_ops("call_ops", &call);
	/* A kick (code 0 for a host that agrees) of a ring never attached. */
	ring_scan_reset();
	kick_ret = ring_scan_call(&port, 0);
	printf("\"attach_flags\":%u,\"detach_flags\":%u,\"unattached_kick\":%ld,\"magic\":%u}",
	       attach_flags, detach_flags, kick_ret, ring_magic);
}

static void classify_hypercall(uint64_t nr)
{
	uint64_t args[3];
	int slot, v, gs, cs, hits = 0, bhits = 0;
	bool enosys = true;
	long ret;

	printf("{\"nr\":\"0x%llx\",\"probe\":[", (unsigned long long)nr);
	for (slot = 0; slot < 3; slot++) {
		for (v = 0; v < 16; v++) {
			scan_reset();
			memset(args, 0, sizeof(args));
			args[slot] = v;
			ret = vrig_shim_hypercall(nr, args[0], args[1], args[2]);
			if (ret != KVM_ENOSYS_RET)
				enosys = false;
			if (ret >= 0 && !scan.reads && !scan.trace.n && hits < 8)
				printf("%s{\"slot\":%d,\"version\":%d,\"ret\":%ld}",
				       hits++ ? "," : "", slot, v, ret);
		}
	}
	printf("],\"batch\":[");
	for (gs = 0; gs < 3; gs++) {
		for (cs = 0; cs < 3; cs++) {
			int i;

			if (gs == cs)
				continue;
			scan_reset();
			for (i = 0; i < 3; i++)
				put_entry(SCAN_QUEUE + i * plan->model_entry_size,
					  host_out_code >= 0 ? host_out_code :
					  plan->model_out, 1, SCAN_PORT, 0x11 * (i + 1), 0);
			memset(args, 0, sizeof(args));
			args[gs] = SCAN_QUEUE;
			args[cs] = 3;
			ret = vrig_shim_hypercall(nr, args[0], args[1], args[2]);
			if (ret != KVM_ENOSYS_RET)
				enosys = false;
			if (ret == 3 && trace_is("ooo") &&
			    scan.last_read_gpa == SCAN_QUEUE)
				printf("%s{\"gpa_slot\":%d,\"count_slot\":%d,\"ret\":%ld}",
				       bhits++ ? "," : "", gs, cs, ret);
		}
	}
	printf("],\"enosys\":%s}", enosys ? "true" : "false");
}

/* Guest runs. */

static struct vrig_image img;
static uint64_t guest_nrs[16];
static int nguest_nrs;

static void note_nr(uint64_t nr)
{
	int i;

	for (i = 0; i < nguest_nrs; i++) {
		if (guest_nrs[i] == nr)
			return;
	}
	if (nguest_nrs < 16)
		guest_nrs[nguest_nrs++] = nr;
}

static const char *transport_name(int t)
{
	if (t == plan->transport_vmcall)
		return "vmcall";
	if (t == plan->transport_doorbell)
		return "doorbell";
	if (t == plan->transport_direct)
		return "direct";
	if (t == plan->transport_auto)
		return "auto";
	return "?";
}

static bool stop_after_submission(struct vrig_ctx *c, int i)
{
	unsigned int k;

	(void)i;
	for (k = 0; k < c->run->nev; k++) {
		if (c->run->ev[k].type == VRIG_EV_VMCALL ||
		    (c->run->ev[k].type == VRIG_EV_DOORBELL &&
		     c->run->ev[k].dir == 'o'))
			return false;
	}
	return true;
}

/*
 * Before call @i of a decode run: mark it, and take the cut flag the previous
 * call left (an IN_EXPECT whose read missed its expected bits sets it), so
 * that each call starts uncut.
 */
static bool mark_call(struct vrig_ctx *c, int i)
{
	struct vrig_event *e = vrig_event(c, VRIG_EV_MARK);
	const struct vrig_field *cut = &c->plan->pp_cut;

	if (e)
		e->value = i;
	if (e && cut->size) {
		e->cut_before = 1 + vrig_get(c->mem, VRIG_PP + cut->offset,
					     cut->size);
		vrig_put(c->mem, VRIG_PP + cut->offset, cut->size, 0);
	}
	return true;
}

static bool kvm_ok;
static char kvm_why[256];
static int nruns;

/* A call of @fn with arguments the rig can make up: the channel, zeroes. */
static struct vrig_call function_call(struct vrig_ctx *c,
				      const struct vrig_func *fn)
{
	struct vrig_call call = { fn->addr, { 0 }, fn->nargs };
	int slot = 0, a;

	for (a = 0; a < fn->nargs; a++) {
		if (!strcmp(fn->kind[a], "ap")) {
			call.args[a] = VRIG_AP;
		} else if (!strcmp(fn->kind[a], "int")) {
			call.args[a] = 0;
		} else {
			uint64_t block = VRIG_ARG_BASE +
				(slot++ % VRIG_NR_ARG_SLOTS) * VRIG_ARG_SLOT;

			call.args[a] = block;
			if (!strncmp(fn->kind[a], "chan:", 5))
				vrig_put(c->mem, block + fn->chan_offset[a], 8,
					 VRIG_AP);
		}
	}
	return call;
}

/* The address of the stub standing in for kernel function @name, or 0. */
static uint64_t stub_addr(const char *name)
{
	int i;

	for (i = 0; i < img.nsyms; i++) {
		if (!img.syms[i].defined && img.syms[i].function_stub &&
		    !strcmp(img.syms[i].name, name))
			return img.syms[i].addr;
	}
	return 0;
}

/*
 * Runs what the module's devm_add_action() registered, as the kernel does
 * when the driver goes: mov VRIG_ACTION+8, %rdi; jmp *VRIG_ACTION.
 */
#define VRIG_ACTION_RUN	(VRIG_ACTION + 0x100)

static const uint8_t action_run[] = {
	0x48, 0x8b, 0x3c, 0x25, 0x08, 0xe0, 0x1f, 0x00,
	0xff, 0x24, 0x25, 0x00, 0xe0, 0x1f, 0x00,
};

static int ring_kick_transport;

/*
 * Before call @i of a ring run: mark it; after the probe (call 0), point the
 * channel at the ring the probe attached (the devm action's data), on the
 * transport that kicks it, as the module's port_start does.
 */
static bool ring_between(struct vrig_ctx *c, int i)
{
	const struct vrig_plan *p = c->plan;
	struct vrig_event *e = vrig_event(c, VRIG_EV_MARK);
	uint64_t rs = vrig_get(c->mem, VRIG_ACTION + 8, 8);

	if (e)
		e->value = i;
	if (i != 1)
		return true;
	if (!rs || !p->pp_ring.size) {
		vrig_fault(c, "the probe registered no ring (no devm action)");
		return false;
	}
	vrig_put(c->mem, VRIG_PP + p->pp_ring.offset, p->pp_ring.size, rs);
	vrig_put(c->mem, VRIG_PP + p->pp_transport.offset, p->pp_transport.size,
		 ring_kick_transport);
	return true;
}

/*
 * One run: a fresh copy of the image, the transport set, the calls made.
 * kind: "probe" (the probe function with the transport parameter set),
 * "call" (function @fn, then the submit function), "fill" (function @fn
 * repeated inside ->qc_issue() until the first submission).
 */
static void run_one(const char *name, const char *kind, int fn_index,
		    int transport, bool want_kvm)
{
	struct vrig_run *run = calloc(1, sizeof(*run));
	static struct vrig_host host;
	static struct vrig_call calls[512];
	struct vrig_ctx c = { 0 };
	const struct vrig_func *fn = fn_index >= 0 ? &plan->funcs[fn_index] : NULL;
	const struct vrig_sym *s;
	int ncalls = 0, i;
	bool use_kvm = want_kvm && kvm_ok;
	uint64_t active = 0;
	unsigned int k;

	memset(&host, 0, sizeof(host));
	/* Page aligned: KVM maps it as guest memory. */
	host.mem = aligned_alloc(4096, VRIG_MEM_SIZE);
	memcpy(host.mem, img.mem, VRIG_MEM_SIZE);
	host.device_value = 0x50;
	vrig_host_use(&host);
	c.plan = plan;
	c.img = &img;
	c.mem = host.mem;
	c.run = run;
	c.host = &host;
	c.doorbell_port = vrig_shim_header_doorbell_port();

	if (!strcmp(kind, "decode")) {
		/*
		 * The guest's own reading of each op code: one entry per code,
		 * performed with port I/O by the module's direct path. The device
		 * reads 0x81, so an IN_WAIT with mask 1 polls on and on.
		 */
		const struct vrig_sym *append = vrig_find(&img, "pvgen_append");
		int code;

		host.device_value = 0x81;
		vrig_put(c.mem, VRIG_PP + plan->pp_transport.offset,
			 plan->pp_transport.size, plan->transport_direct);
		s = plan->sym_decode[0] ? vrig_find(&img, plan->sym_decode) : NULL;
		for (code = 0; code < 256 && (s || append); code++) {
			uint64_t e = VRIG_ARG_BASE + code * 32ULL;

			if (s) {
				vrig_put(c.mem, e + plan->g_op.offset, plan->g_op.size, code);
				vrig_put(c.mem, e + plan->g_width.offset, plan->g_width.size, 1);
				vrig_put(c.mem, e + plan->g_port.offset, plan->g_port.size,
					 SCAN_PORT);
				vrig_put(c.mem, e + plan->g_value.offset, plan->g_value.size,
					 0x5a);
				vrig_put(c.mem, e + plan->g_mask.offset, plan->g_mask.size, 1);
				calls[ncalls++] = (struct vrig_call){ s->addr, { VRIG_PP, e },
					2 };
			} else {
				calls[ncalls++] = (struct vrig_call){ append->addr,
					{ VRIG_PP, code, 1, SCAN_PORT, 0x5a, 1 }, 6 };
			}
		}
		if (!ncalls)
			vrig_fault(&c, "neither %s nor pvgen_append is in the module",
				   plan->sym_decode);
		else
			mark_call(&c, 0);
	} else if (!strcmp(kind, "ring")) {
		/*
		 * The ring's life in the module: probe with transport=ring (it
		 * attaches at the end), a batch of one sequence function posted
		 * to it, then the devm action that detaches it.
		 */
		const struct vrig_func *rf = plan->ring_func >= 0 &&
			plan->ring_func < plan->nfuncs ?
			&plan->funcs[plan->ring_func] : NULL;
		uint64_t para = stub_addr("kvm_para_available");

		c.ring = true;
		c.ring_port = vrig_shim_header_ring_port();
		vrig_shim_ring_reset();
		ring_kick_transport = transport;
		/* The doorbell kicks only where vmcall is not offered. */
		if (transport == plan->transport_doorbell && para)
			memcpy(c.mem + para, "\x31\xc0\xc3", 3);
		memcpy(c.mem + VRIG_ACTION_RUN, action_run, sizeof(action_run));
		s = vrig_find(&img, plan->sym_param);
		if (s)
			vrig_put(c.mem, s->addr, 4, plan->transport_ring);
		s = vrig_find(&img, plan->sym_init);
		if (!s || !rf || !rf->addr) {
			vrig_fault(&c, "no %s or no function to post in the module",
				   plan->sym_init);
		} else {
			calls[ncalls++] = (struct vrig_call){ s->addr,
				{ VRIG_PDEV, VRIG_PCI_ID }, 2 };
			calls[ncalls++] = function_call(&c, rf);
			s = vrig_find(&img, plan->sym_submit);
			if (s)
				calls[ncalls++] = (struct vrig_call){ s->addr,
					{ VRIG_PP }, 1 };
			calls[ncalls++] = (struct vrig_call){ VRIG_ACTION_RUN,
				{ 0 }, 0 };
		}
	} else if (!strcmp(kind, "probe")) {
		s = vrig_find(&img, plan->sym_param);
		if (s)
			vrig_put(c.mem, s->addr, 4, transport);
		s = vrig_find(&img, plan->sym_init);
		if (!s) {
			vrig_fault(&c, "no symbol %s in the module", plan->sym_init);
		} else {
			calls[ncalls++] = (struct vrig_call){ s->addr,
				{ VRIG_PDEV, VRIG_PCI_ID }, 2 };
		}
	} else {
		vrig_put(c.mem, VRIG_PP + plan->pp_transport.offset,
			 plan->pp_transport.size, transport);
		if (!strcmp(kind, "fill"))
			vrig_put(c.mem, VRIG_PP + plan->pp_hold.offset,
				 plan->pp_hold.size, 1);
		if (!fn || !fn->addr) {
			vrig_fault(&c, "no symbol %s in the module",
				   fn ? fn->name : "?");
		} else {
			struct vrig_call call = function_call(&c, fn);

			if (!strcmp(kind, "fill")) {
				for (i = 0; i < plan->fill_calls && i < 512; i++)
					calls[ncalls++] = call;
			} else {
				calls[ncalls++] = call;
				s = vrig_find(&img, plan->sym_submit);
				if (s)
					calls[ncalls++] = (struct vrig_call){ s->addr,
						{ VRIG_PP }, 1 };
			}
		}
	}

	if (ncalls) {
		bool (*between)(struct vrig_ctx *, int) =
			!strcmp(kind, "fill") ? stop_after_submission :
			!strcmp(kind, "decode") ? mark_call :
			!strcmp(kind, "ring") ? ring_between : NULL;

		if (use_kvm)
			vrig_kvm_run(&c, calls, ncalls, between);
		else
			vrig_unicorn_run(&c, calls, ncalls, between);
	}
	s = vrig_find(&img, plan->sym_active);
	if (s)
		active = vrig_get(c.mem, s->addr, 4);

	printf("%s{\"name\":", nruns++ ? "," : "");
	json_str(name);
	printf(",\"kind\":\"%s\",\"function\":", kind);
	json_str(!strcmp(kind, "probe") || !strcmp(kind, "ring") ? plan->sym_init :
		 !strcmp(kind, "decode") ? plan->sym_decode : fn ? fn->name : "");
	printf(",\"transport\":\"%s\",\"engine\":\"%s\",", transport_name(transport),
	       run->engine ? run->engine : "none");
	if (want_kvm && !kvm_ok) {
		printf("\"engine_note\":");
		json_str(kvm_why);
		printf(",");
	}
	printf("\"ret\":\"0x%llx\",\"transport_active\":\"%s\",\"faulted\":%s,\"fault\":",
	       (unsigned long long)run->ret, transport_name((int)active),
	       run->faulted ? "true" : "false");
	json_str(run->fault);
	printf(",\"calls\":");
	json_str(run->calls);
	printf(",\"events_overflow\":%s,\"events\":[",
	       run->events_overflow ? "true" : "false");
	for (k = 0; k < run->nev; k++) {
		const struct vrig_event *e = &run->ev[k];
		static const char *types[] = { "vmcall", "doorbell", "io", "warn",
					       "mark" };

		printf("%s{\"type\":\"%s\"", k ? "," : "", types[e->type]);
		if (e->type == VRIG_EV_VMCALL) {
			note_nr(e->rax);
			printf(",\"rip\":\"0x%llx\",\"rax\":\"0x%llx\",\"rbx\":\"0x%llx\",\"rcx\":\"0x%llx\",\"rdx\":\"0x%llx\",\"rsi\":\"0x%llx\"",
			       (unsigned long long)e->rip, (unsigned long long)e->rax,
			       (unsigned long long)e->rbx, (unsigned long long)e->rcx,
			       (unsigned long long)e->rdx, (unsigned long long)e->rsi);
		}
		if (e->type == VRIG_EV_DOORBELL || e->type == VRIG_EV_IO)
			printf(",\"dir\":\"%c\",\"width\":%u,\"port\":%u,\"value\":%u",
			       e->dir, e->width, e->port, e->value);
		if (e->type == VRIG_EV_VMCALL ||
		    (e->type == VRIG_EV_DOORBELL && e->dir == 'o')) {
			printf(",\"pp_gpa\":\"0x%llx\",\"pp_count\":%llu,\"queue\":",
			       (unsigned long long)e->pp_gpa,
			       (unsigned long long)e->pp_count);
			json_hex(e->queue >= 0 ? run->queues[e->queue] : NULL,
				 e->queue >= 0 ? e->queue_len : 0);
			printf(",\"host\":");
			json_trace(&host.trace, e->host_first, e->host_n);
			printf(",\"host_reads\":%u,\"host_read_gpa\":\"0x%llx\",\"host_read_len\":%u",
			       e->host_reads, (unsigned long long)e->host_read_gpa,
			       e->host_read_len);
		}
		if (e->type == VRIG_EV_MARK)
			printf(",\"call\":%u", e->value);
		if (e->type == VRIG_EV_MARK && e->cut_before)
			printf(",\"cut_before\":%d", e->cut_before - 1);
		if (e->type == VRIG_EV_VMCALL || e->type == VRIG_EV_DOORBELL)
			printf(",\"host_ret\":%ld", e->host_ret);
		if (e->ring_head)
			printf(",\"ring_head\":[%u,%u,%u]", e->ring_magic,
			       e->ring_slots, e->ring_flags);
		printf("}");
	}
	printf("]}");
	fflush(stdout);
	vrig_host_use(&scan);
	free(host.mem);
	free(run);
}

static void setup_image(void)
{
	int i;

	vrig_put(img.mem, VRIG_PP + plan->pp_ap.offset, 8, VRIG_AP);
	vrig_put(img.mem, VRIG_PP + plan->pp_queue.offset, 8, VRIG_QUEUE);
	vrig_put(img.mem, VRIG_PP + plan->pp_gpa.offset, plan->pp_gpa.size,
		 VRIG_QUEUE);
	for (i = 0; i < plan->nblocks; i++)
		vrig_put(img.mem, VRIG_PP + plan->blocks[i].f.offset,
			 plan->blocks[i].f.size, plan->blocks[i].value);
	vrig_put(img.mem, VRIG_AP + plan->ap_private_data, 8, VRIG_PP);
}

int main(int argc, char **argv)
{
	static struct vrig_plan p;
	struct vrig_host_cb cb = {
		.read_guest = cb_read,
		.write_guest = cb_write,
		.pio_in = cb_in,
		.pio_out = cb_out,
		.mem_size = VRIG_MEM_SIZE,
	};
	int i, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: vrig PLAN\n");
		return 2;
	}
	if (read_plan(argv[1], &p)) {
		fprintf(stderr, "vrig: cannot read %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	plan = &p;
	scan.mem = calloc(1, VRIG_MEM_SIZE);
	scan.device_value = 0x50;
	vrig_host_use(&scan);

	printf("{\"host\":{\"fingerprint\":");
	json_str(vrig_shim_fingerprint());
	printf(",\"fingerprint_symbol\":");
	json_str(vrig_shim_fingerprint_symbol());
	printf(",\"header_doorbell_port\":%u,", vrig_shim_header_doorbell_port());
	scan_doorbell();
	ret = vrig_shim_setup(&cb);
	printf("\"validate\":%d,", ret);
	scan_ops();
	scan_max_entries();
	printf("\"end\":0},");

	printf("\"load_error\":");
	ret = vrig_load(&img, plan);
	json_str(img.errors);
	printf(",\"kvm\":");
	kvm_ok = p.use_kvm && vrig_kvm_available(kvm_why, sizeof(kvm_why));
	if (!p.use_kvm)
		snprintf(kvm_why, sizeof(kvm_why), "KVM not requested");
	printf("{\"available\":%s,\"why\":", kvm_ok ? "true" : "false");
	json_str(kvm_ok ? "" : kvm_why);
	printf("},\"runs\":[");
	if (ret == 0) {
		for (i = 0; i < p.nfuncs; i++) {
			const struct vrig_sym *s = vrig_find(&img, p.funcs[i].name);

			p.funcs[i].addr = s ? s->addr : 0;
		}
		setup_image();
		run_one("decode:direct", "decode", -1, p.transport_direct, false);
		run_one("probe:vmcall", "probe", -1, p.transport_vmcall, false);
		run_one("probe:doorbell", "probe", -1, p.transport_doorbell, true);
		for (i = 0; i < p.nfuncs; i++) {
			char name[160];

			snprintf(name, sizeof(name), "direct:%s", p.funcs[i].name);
			run_one(name, "call", i, p.transport_direct, false);
			snprintf(name, sizeof(name), "vmcall:%s", p.funcs[i].name);
			run_one(name, "call", i, p.transport_vmcall, false);
			snprintf(name, sizeof(name), "doorbell:%s", p.funcs[i].name);
			run_one(name, "call", i, p.transport_doorbell, true);
		}
		if (p.ring_func >= 0 && p.transport_ring) {
			run_one("ring:vmcall", "ring", -1, p.transport_vmcall,
				false);
			run_one("ring:doorbell", "ring", -1, p.transport_doorbell,
				true);
		}
		if (p.fill_calls > 0 && p.fill_index >= 0 && p.fill_index < p.nfuncs) {
			run_one("fill:vmcall", "fill", p.fill_index, p.transport_vmcall,
				false);
			run_one("fill:doorbell", "fill", p.fill_index,
				p.transport_doorbell, true);
		}
	}
	printf("],\"hypercalls\":[");
	for (i = 0; i < p.nmodel_nrs; i++)
		note_nr(p.model_nrs[i]);
	for (i = 0; i < nguest_nrs; i++) {
		if (i)
			printf(",");
		classify_hypercall(guest_nrs[i]);
	}
	printf("]");
	if (p.model_ring_size)
		scan_ring(guest_nrs, nguest_nrs);
	printf("}\n");
	return 0;
}
