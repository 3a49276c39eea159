// SPDX-License-Identifier: GPL-2.0
/*
 * The rig's PIIX IDE register-file model; see ata_device.h.
 *
 * What it models, after ATA/ATAPI-6 and SFF-8038i (and QEMU's hw/ide where
 * the specs leave room):
 * - feature, nsect, lbal, lbam and lbah are two deep: a write pushes the old
 *   value into the HOB byte, which reads return while devctl.HOB is set; any
 *   taskfile write clears devctl.HOB.
 * - the device register selects the drive that answers status reads and
 *   takes the next command.
 * - a command write to a drive that is not busy starts the command: a DMA
 *   command shows DRDY|DSC|DRQ and waits for the bus master; a non-data
 *   command sets BSY for a few status reads (flushes for more), then DRDY|DSC
 *   and INTRQ; an unknown command (PIO data commands included: the catalog
 *   has no data-port sequence) aborts: DRDY|DSC|ERR, error ABRT, INTRQ.
 * - reading status acknowledges INTRQ; altstatus does not; both count as
 *   time for a busy drive.
 * - INTRQ, unless devctl.nIEN masks it, sets the bus-master INTR bit.
 * - setting bus-master START with a DMA pending transfers at once: ACTIVE
 *   clears, INTR sets, the drive completes (a direction that does not match
 *   the command also sets ERR). START without a DMA pending sets ACTIVE;
 *   clearing START clears it. INTR and ERR are write-one-to-clear.
 * - devctl.SRST resets both drives of the channel.
 */

#include <string.h>
#include "ata_device.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define ATA_CMD_BASE0	0x1f0
#define ATA_CMD_BASE1	0x170
#define ATA_CTL_PORT0	0x3f6
#define ATA_CTL_PORT1	0x376

enum reg {
	REG_NONE,
	REG_DATA,
	REG_ERR_FEATURE,
	REG_NSECT,
	REG_LBAL,
	REG_LBAM,
	REG_LBAH,
	REG_DEVICE,
	REG_STATUS_COMMAND,
	REG_ALTSTATUS_DEVCTL,
	REG_BM_CMD,
	REG_BM_STATUS,
	REG_BM_PRD,
};

enum kind {
	KIND_DMA_IN,
	KIND_DMA_OUT,
	KIND_NODATA,
};

/* The commands the drive implements; any other is aborted. */
static const struct {
	__u8 command;
	__u8 kind;
	__u8 lba48;
	__u8 busy_reads;
} ata_commands[] = {
	{ 0xc8, KIND_DMA_IN, 0, 0 },	/* READ DMA */
	{ 0xca, KIND_DMA_OUT, 0, 0 },	/* WRITE DMA */
	{ 0x25, KIND_DMA_IN, 1, 0 },	/* READ DMA EXT */
	{ 0x35, KIND_DMA_OUT, 1, 0 },	/* WRITE DMA EXT */
	{ 0x40, KIND_NODATA, 0, 1 },	/* READ VERIFY SECTORS */
	{ 0x42, KIND_NODATA, 1, 1 },	/* READ VERIFY SECTORS EXT */
	{ 0xe7, KIND_NODATA, 0, 4 },	/* FLUSH CACHE */
	{ 0xea, KIND_NODATA, 1, 4 },	/* FLUSH CACHE EXT */
	{ 0xef, KIND_NODATA, 0, 1 },	/* SET FEATURES */
};

static int reg_width(enum reg r)
{
	switch (r) {
	case REG_NONE:
		return 0;
	case REG_DATA:
		return 2;
	case REG_BM_PRD:
		return 4;
	default:
		return 1;
	}
}

/* Which register of which channel @port is, or REG_NONE. */
static enum reg decode(const struct ata_dev *d, __u16 port, int *channel)
{
	static const enum reg cmd_regs[8] = {
		REG_DATA, REG_ERR_FEATURE, REG_NSECT, REG_LBAL,
		REG_LBAM, REG_LBAH, REG_DEVICE, REG_STATUS_COMMAND,
	};
	int c;

	for (c = 0; c < 2; c++) {
		__u16 cmd = c ? ATA_CMD_BASE1 : ATA_CMD_BASE0;
		__u16 ctl = c ? ATA_CTL_PORT1 : ATA_CTL_PORT0;
		__u16 bm = d->bar4 + 8 * c;

		*channel = c;
		if (port >= cmd && port < cmd + 8)
			return cmd_regs[port - cmd];
		if (port == ctl)
			return REG_ALTSTATUS_DEVCTL;
		if (port == bm)
			return REG_BM_CMD;
		if (port == bm + 2)
			return REG_BM_STATUS;
		if (port == bm + 4)
			return REG_BM_PRD;
	}
	return REG_NONE;
}

static struct ata_drive *selected(struct ata_channel *ch)
{
	return &ch->drive[!!(ch->device & ATA_DEV_DEV1)];
}

static void record(struct ata_dev *d, __u16 port, __u8 width, __u8 out,
		   __u32 value)
{
	struct ata_access *a;

	if (!d->trace)
		return;
	if (d->trace_len == d->trace_max) {
		d->trace_lost++;
		return;
	}
	a = &d->trace[d->trace_len++];
	a->port = port;
	a->width = width;
	a->out = out;
	a->value = value;
}

static void raise_intrq(struct ata_channel *ch, struct ata_drive *drv)
{
	drv->intrq = true;
	if (!(ch->devctl & ATA_DC_NIEN))
		ch->bm_status |= BM_ST_INTR;
}

static void complete(struct ata_channel *ch, struct ata_drive *drv, bool ok)
{
	drv->command = 0;
	drv->dma_pending = false;
	drv->busy_reads = 0;
	drv->status = ATA_ST_DRDY | ATA_ST_DSC | (ok ? 0 : ATA_ST_ERR);
	drv->error = ok ? 0 : ATA_ER_ABRT;
	raise_intrq(ch, drv);
}

static void drive_reset(struct ata_drive *drv)
{
	memset(drv, 0, sizeof(*drv));
	drv->status = ATA_ST_DRDY | ATA_ST_DSC;
	drv->error = 0x01;	/* diagnostic code: no error */
}

static void channel_reset(struct ata_channel *ch)
{
	__u8 bm_cmd = ch->bm_cmd;
	__u8 bm_status = ch->bm_status;
	__u32 bm_prd = ch->bm_prd;
	__u8 devctl = ch->devctl;

	/* SRST resets the drives; the bus master and devctl are the host's. */
	memset(ch, 0, sizeof(*ch));
	ch->bm_cmd = bm_cmd;
	ch->bm_status = bm_status;
	ch->bm_prd = bm_prd;
	ch->devctl = devctl;
	drive_reset(&ch->drive[0]);
	drive_reset(&ch->drive[1]);
	/* The ATA signature. */
	ch->nsect[0] = 1;
	ch->lbal[0] = 1;
}

static void record_command(struct ata_dev *d, int c, struct ata_channel *ch,
			   __u8 command, bool lba48)
{
	struct ata_command *r;
	__u64 lba;
	__u32 count;

	if (lba48) {
		lba = (__u64)ch->lbah[1] << 40 | (__u64)ch->lbam[1] << 32 |
		      (__u64)ch->lbal[1] << 24 | (__u64)ch->lbah[0] << 16 |
		      (__u64)ch->lbam[0] << 8 | ch->lbal[0];
		count = (__u32)ch->nsect[1] << 8 | ch->nsect[0];
	} else {
		lba = (__u64)(ch->device & 0x0f) << 24 |
		      (__u64)ch->lbah[0] << 16 | (__u64)ch->lbam[0] << 8 |
		      ch->lbal[0];
		count = ch->nsect[0];
	}
	if (d->nr_commands++ >= ATA_DEV_MAX_COMMANDS)
		return;
	r = &d->commands[d->nr_commands - 1];
	r->channel = c;
	r->drive = !!(ch->device & ATA_DEV_DEV1);
	r->command = command;
	r->device = ch->device;
	r->lba = lba;
	r->count = count;
}

static void start_command(struct ata_dev *d, int c, __u8 command)
{
	struct ata_channel *ch = &d->ch[c];
	struct ata_drive *drv = selected(ch);
	size_t i;

	/* A busy drive ignores the command register. */
	if (drv->status & ATA_ST_BSY)
		return;
	drv->intrq = false;
	drv->command = command;
	for (i = 0; i < ARRAY_SIZE(ata_commands); i++) {
		if (ata_commands[i].command != command)
			continue;
		record_command(d, c, ch, command, ata_commands[i].lba48);
		if (ata_commands[i].kind == KIND_NODATA) {
			drv->status = ATA_ST_BSY | ATA_ST_DRDY;
			drv->busy_reads = ata_commands[i].busy_reads;
		} else {
			drv->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
			drv->dma_pending = true;
			drv->dma_read = ata_commands[i].kind == KIND_DMA_IN;
		}
		return;
	}
	record_command(d, c, ch, command, false);
	drv->status = ATA_ST_BSY | ATA_ST_DRDY;
	drv->busy_reads = 1;
	drv->command = 0;	/* ends in an abort */
}

/* A status or altstatus read: one tick of the selected drive's clock. */
static __u8 read_status(struct ata_channel *ch, bool acknowledge)
{
	struct ata_drive *drv = selected(ch);
	__u8 status = drv->status;

	if (acknowledge)
		drv->intrq = false;
	if (drv->busy_reads && --drv->busy_reads == 0 &&
	    (drv->status & ATA_ST_BSY) && !(ch->devctl & ATA_DC_SRST))
		complete(ch, drv, drv->command != 0);
	return status;
}

static void write_devctl(struct ata_channel *ch, __u8 value)
{
	__u8 old = ch->devctl;

	ch->devctl = value;
	if ((value & ATA_DC_SRST) && !(old & ATA_DC_SRST)) {
		ch->drive[0].status = ATA_ST_BSY;
		ch->drive[1].status = ATA_ST_BSY;
		ch->drive[0].busy_reads = 0;
		ch->drive[1].busy_reads = 0;
	} else if (!(value & ATA_DC_SRST) && (old & ATA_DC_SRST)) {
		channel_reset(ch);
	}
}

static void write_bm_cmd(struct ata_channel *ch, __u8 value)
{
	struct ata_drive *drv = selected(ch);
	__u8 old = ch->bm_cmd;

	ch->bm_cmd = value & (BM_CMD_START | BM_CMD_WR);
	if (!(value & BM_CMD_START)) {
		ch->bm_status &= ~BM_ST_ACTIVE;
		return;
	}
	if (old & BM_CMD_START)
		return;
	if (!drv->dma_pending) {
		ch->bm_status |= BM_ST_ACTIVE;
		return;
	}
	ch->bm_status &= ~BM_ST_ACTIVE;
	if (drv->dma_read != !!(value & BM_CMD_WR)) {
		ch->bm_status |= BM_ST_ERR;
		complete(ch, drv, false);
		return;
	}
	complete(ch, drv, true);
}

static __u8 *latch(struct ata_channel *ch, enum reg r)
{
	switch (r) {
	case REG_ERR_FEATURE:
		return ch->feature;
	case REG_NSECT:
		return ch->nsect;
	case REG_LBAL:
		return ch->lbal;
	case REG_LBAM:
		return ch->lbam;
	case REG_LBAH:
		return ch->lbah;
	default:
		return NULL;
	}
}

void ata_dev_reset(struct ata_dev *d)
{
	int c;

	memset(d->ch, 0, sizeof(d->ch));
	for (c = 0; c < 2; c++) {
		channel_reset(&d->ch[c]);
		d->ch[c].devctl = 0x08;	/* the obsolete bit libata sets */
		d->ch[c].bm_status = BM_ST_DRV_DMA;
	}
	d->trace_len = 0;
	d->trace_lost = 0;
	d->nr_commands = 0;
}

void ata_dev_init(struct ata_dev *d, __u16 bar4, struct ata_access *trace,
		  size_t trace_max)
{
	memset(d, 0, sizeof(*d));
	d->bar4 = bar4;
	d->trace = trace;
	d->trace_max = trace_max;
	ata_dev_reset(d);
}

bool ata_dev_claims(const struct ata_dev *d, __u16 port)
{
	int c;

	return decode(d, port, &c) != REG_NONE;
}

int ata_dev_in(struct ata_dev *d, __u16 port, __u8 width, __u32 *value)
{
	struct ata_channel *ch;
	enum reg r;
	__u8 *l;
	int c;

	r = decode(d, port, &c);
	if (r == REG_NONE || reg_width(r) != width)
		return -1;
	ch = &d->ch[c];
	l = latch(ch, r);
	switch (r) {
	case REG_DATA:
		*value = 0;	/* no PIO data phase is modeled */
		break;
	case REG_ERR_FEATURE:
		*value = selected(ch)->error;
		break;
	case REG_NSECT:
	case REG_LBAL:
	case REG_LBAM:
	case REG_LBAH:
		*value = l[!!(ch->devctl & ATA_DC_HOB)];
		break;
	case REG_DEVICE:
		*value = ch->device;
		break;
	case REG_STATUS_COMMAND:
		*value = read_status(ch, true);
		break;
	case REG_ALTSTATUS_DEVCTL:
		*value = read_status(ch, false);
		break;
	case REG_BM_CMD:
		*value = ch->bm_cmd;
		break;
	case REG_BM_STATUS:
		*value = ch->bm_status;
		break;
	case REG_BM_PRD:
		*value = ch->bm_prd;
		break;
	case REG_NONE:
		return -1;
	}
	record(d, port, width, 0, *value);
	return 0;
}

int ata_dev_out(struct ata_dev *d, __u16 port, __u8 width, __u32 value)
{
	struct ata_channel *ch;
	enum reg r;
	__u8 *l;
	int c;

	r = decode(d, port, &c);
	if (r == REG_NONE || reg_width(r) != width)
		return -1;
	ch = &d->ch[c];
	record(d, port, width, 1, value);
	l = latch(ch, r);
	if (l) {
		l[1] = l[0];
		l[0] = value;
		ch->devctl &= ~ATA_DC_HOB;
		return 0;
	}
	switch (r) {
	case REG_DATA:
		break;
	case REG_DEVICE:
		ch->device = value;
		ch->devctl &= ~ATA_DC_HOB;
		break;
	case REG_STATUS_COMMAND:
		start_command(d, c, value);
		break;
	case REG_ALTSTATUS_DEVCTL:
		write_devctl(ch, value);
		break;
	case REG_BM_CMD:
		write_bm_cmd(ch, value);
		break;
	case REG_BM_STATUS:
		ch->bm_status &= ~(value & (BM_ST_ERR | BM_ST_INTR));
		ch->bm_status = (ch->bm_status & ~BM_ST_DRV_DMA) |
				(value & BM_ST_DRV_DMA);
		break;
	case REG_BM_PRD:
		ch->bm_prd = value & ~3U;
		break;
	default:
		return -1;
	}
	return 0;
}
