/* A small vsnprintf: enough of C99 for log lines, nothing locale- or float-related. */
#include "kernel/fmt.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->size && o->len < o->size - 1)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_ALT = 4, F_PLUS = 8, F_SPACE = 16 };

static void put_num(struct out *o, u64 v, bool neg, unsigned base, bool upper,
		    int flags, int width, int prec)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, plen = 0;
	const char *prefix = "";

	if (v == 0 && prec == 0)
		n = 0;
	else
		do {
			tmp[n++] = digits[v % base];
			v /= base;
		} while (v);
	if (neg)
		prefix = "-";
	else if (flags & F_PLUS)
		prefix = "+";
	else if (flags & F_SPACE)
		prefix = " ";
	if ((flags & F_ALT) && base == 16)
		prefix = upper ? "0X" : "0x";
	if ((flags & F_ALT) && base == 8 && (n == 0 || tmp[n - 1] != '0'))
		prefix = "0";
	for (const char *p = prefix; *p; p++)
		plen++;
	int zeros = prec > n ? prec - n : 0;
	if ((flags & F_ZERO) && !(flags & F_LEFT) && prec < 0 && width > plen + n)
		zeros = width - plen - n;
	int total = plen + zeros + n;
	if (!(flags & F_LEFT))
		pad(o, ' ', width - total);
	for (const char *p = prefix; *p; p++)
		put(o, *p);
	pad(o, '0', zeros);
	while (n)
		put(o, tmp[--n]);
	if (flags & F_LEFT)
		pad(o, ' ', width - total);
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		int flags = 0, width = 0, prec = -1, lng = 0;
		for (;; fmt++) {
			if (*fmt == '-') flags |= F_LEFT;
			else if (*fmt == '0') flags |= F_ZERO;
			else if (*fmt == '#') flags |= F_ALT;
			else if (*fmt == '+') flags |= F_PLUS;
			else if (*fmt == ' ') flags |= F_SPACE;
			else break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= F_LEFT;
				width = -width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				if (prec < 0)
					prec = -1;
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}
		/* lng: -2 hh, -1 h, 0 int, 1 long, 2 long long, 3 size_t */
		if (*fmt == 'h') {
			lng = -1;
			if (*++fmt == 'h') {
				lng = -2;
				fmt++;
			}
		} else if (*fmt == 'l') {
			lng = 1;
			if (*++fmt == 'l') {
				lng = 2;
				fmt++;
			}
		} else if (*fmt == 'z') {
			lng = 3;
			fmt++;
		}
		char c = *fmt;
		if (!c)
			break;
		switch (c) {
		case 'd':
		case 'i': {
			s64 v;
			if (lng == 2) v = va_arg(ap, long long);
			else if (lng == 1) v = va_arg(ap, long);
			else if (lng == 3) v = (s64)va_arg(ap, size_t);
			else v = va_arg(ap, int);
			if (lng == -1) v = (short)v;
			if (lng == -2) v = (signed char)v;
			bool neg = v < 0;
			u64 mag = neg ? (u64)0 - (u64)v : (u64)v;
			put_num(&o, mag, neg, 10, false, flags, width, prec);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			u64 v;
			if (lng == 2) v = va_arg(ap, unsigned long long);
			else if (lng == 1) v = va_arg(ap, unsigned long);
			else if (lng == 3) v = va_arg(ap, size_t);
			else v = va_arg(ap, unsigned int);
			if (lng == -1) v = (u16)v;
			if (lng == -2) v = (u8)v;
			unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
			put_num(&o, v, false, base, c == 'X', flags, width, prec);
			break;
		}
		case 'p':
			put_num(&o, (u64)(uintptr_t)va_arg(ap, void *), false, 16, false,
				F_ALT | F_ZERO, 18, -1);
			break;
		case 'c': {
			char ch = (char)va_arg(ap, int);
			if (!(flags & F_LEFT))
				pad(&o, ' ', width - 1);
			put(&o, ch);
			if (flags & F_LEFT)
				pad(&o, ' ', width - 1);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			int n = 0;
			while (s[n] && (prec < 0 || n < prec))
				n++;
			if (!(flags & F_LEFT))
				pad(&o, ' ', width - n);
			for (int i = 0; i < n; i++)
				put(&o, s[i]);
			if (flags & F_LEFT)
				pad(&o, ' ', width - n);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			/* Unknown conversion: print it as is so the mistake shows. */
			put(&o, '%');
			put(&o, c);
			break;
		}
	}
	if (size)
		o.buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
